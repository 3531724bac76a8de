"""The authorization code grant as Okta drives it (RFC 6749 §4.1, RFC 7636): the admin's browser
opens /oauth/authorize, signs in with the tenant's SCIM login, allows access, and is redirected to
Okta's callback with a code; Okta exchanges the code (with the shared client's secret and PKCE),
calls SCIM with the access token, and refreshes it. Also every way it must refuse: reused codes and
refresh tokens, PKCE and redirect_uri mismatches, open-redirect attempts, forged forms, another
tenant's login, and guessing. The browser here is a small cookie-keeping HTTP client that submits
the pages' forms as a browser would."""
from __future__ import annotations

import base64
import hashlib
import html.parser
import http.client
import json
import secrets
import unittest
import urllib.parse

from harness import Client, Server

OKTA_CALLBACK = "https://system-admin.okta.com/admin/app/cpc/acme_scim/oauth/callback"


class Form(html.parser.HTMLParser):
    """The inputs and submit buttons of the first form of a page."""

    def __init__(self, page: str):
        super().__init__()
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, list[str]] = {}
        self.action = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = a.get("action")
        elif tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "button" and a.get("name"):
            self.buttons.setdefault(a["name"], []).append(a.get("value") or "")


class Browser:
    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, target: str, form: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        connection.close()
        response_headers = {k.lower(): v for k, v in response.getheaders()}
        if "set-cookie" in response_headers:
            name, value = response_headers["set-cookie"].split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        return response.status, response_headers, text


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)[:64]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(client_id: str, redirect_uri: str = OKTA_CALLBACK, **extra) -> str:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
              "state": "okta-state-123", "scope": "scim offline_access", **extra}
    return "/oauth/authorize?" + urllib.parse.urlencode(params)


class AuthorizationCodeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"SCIMD_AUTH_MAX_FAILURES": "50"}).start()
        cls.server.cli("tenant", "create", "globex", check=True)
        for tenant, username in (("demo", "demo-admin"), ("globex", "globex-admin")):
            cls.server.set_login(tenant, username, "Tr0ub4dor&3-" + tenant)
        cls.shared = cls.server.create_oauth_client("--shared", "--okta-callbacks", "acme_scim")
        cls.globex_client = cls.server.create_oauth_client("--tenant", "globex", "--redirect-uri",
                                                           "https://app.example.com/cb")

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        cls.server.cleanup()
        assert code == 0, f"scimd exited {code}"

    # The admin's part, in the browser.
    def sign_in_and_allow(self, browser: Browser, url: str, username: str, password: str,
                          decision: str = "allow") -> tuple[int, dict, str]:
        status, headers, page = browser.request("GET", url)
        self.assertEqual(status, 200, page)
        login = Form(page)
        self.assertEqual(login.action, "/oauth/authorize")
        status, headers, page = browser.request(
            "POST", login.action, dict(login.fields, username=username, password=password))
        self.assertEqual(status, 200, page)
        consent = Form(page)
        self.assertEqual(consent.fields.get("step"), "consent", page)
        self.assertIn(decision, consent.buttons["decision"])
        return browser.request("POST", consent.action, dict(consent.fields, decision=decision))

    def code_from(self, answer, redirect_uri: str = OKTA_CALLBACK) -> str:
        status, headers, _ = answer
        self.assertEqual(status, 302)
        location = headers["location"]
        self.assertTrue(location.startswith(redirect_uri + "?"), location)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
        self.assertEqual(query["state"], ["okta-state-123"])
        return query["code"][0]

    # Okta's part, server to server.
    def token(self, client: tuple[str, str], form: dict):
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        auth = base64.b64encode(f"{client[0]}:{client[1]}".encode()).decode()
        connection.request("POST", "/oauth/token", body=urllib.parse.urlencode(form),
                           headers={"Authorization": "Basic " + auth,
                                    "Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        body = json.loads(response.read() or b"{}")
        connection.close()
        return response.status, body

    def exchange(self, client, code: str, verifier: str | None, redirect_uri: str = OKTA_CALLBACK):
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if verifier is not None:
            form["code_verifier"] = verifier
        return self.token(client, form)

    def scim_status(self, access_token: str, tenant: str = "demo") -> int:
        scim = Client(self.server.port, "Bearer " + access_token, prefix="/scim/v2/" + tenant)
        status = scim.get("/Users?count=1").status
        scim.close()
        return status

    def test_okta_flow_end_to_end_with_pkce_and_refresh_rotation(self):
        verifier, challenge = pkce_pair()
        browser = Browser(self.server.port)
        status, headers, page = browser.request(
            "GET", authorize_url(self.shared[0], code_challenge=challenge, code_challenge_method="S256"))
        self.assertEqual(status, 200)
        csp = headers["content-security-policy"]
        self.assertIn("frame-ancestors 'none'", csp)
        self.assertIn("default-src 'none'", csp)
        self.assertEqual(headers["cache-control"], "no-store")
        self.assertEqual(headers["x-frame-options"], "DENY")
        self.assertIn("HttpOnly", headers["set-cookie"])
        self.assertIn("SameSite=Lax", headers["set-cookie"])
        self.assertNotIn("<script", page)

        answer = self.sign_in_and_allow(browser, authorize_url(self.shared[0], code_challenge=challenge,
                                                               code_challenge_method="S256"),
                                        "demo-admin", "Tr0ub4dor&3-demo")
        code = self.code_from(answer)
        status, tokens = self.exchange(self.shared, code, verifier)
        self.assertEqual(status, 200, tokens)
        self.assertEqual(tokens["token_type"], "Bearer")
        self.assertIn("offline_access", tokens["scope"])
        self.assertTrue(tokens["refresh_token"].startswith("scimdrt_"))
        # The login chose the tenant: the token works on demo and nowhere else.
        self.assertEqual(self.scim_status(tokens["access_token"]), 200)
        self.assertEqual(self.scim_status(tokens["access_token"], "globex"), 401)

        status, refreshed = self.token(self.shared, {"grant_type": "refresh_token",
                                                     "refresh_token": tokens["refresh_token"]})
        self.assertEqual(status, 200, refreshed)
        self.assertNotEqual(refreshed["refresh_token"], tokens["refresh_token"])
        self.assertEqual(self.scim_status(refreshed["access_token"]), 200)
        # The spent refresh token is refused, and presenting it revokes the whole grant.
        status, error = self.token(self.shared, {"grant_type": "refresh_token",
                                                 "refresh_token": tokens["refresh_token"]})
        self.assertEqual((status, error["error"]), (400, "invalid_grant"))
        self.assertEqual(self.scim_status(refreshed["access_token"]), 401)
        status, error = self.token(self.shared, {"grant_type": "refresh_token",
                                                 "refresh_token": refreshed["refresh_token"]})
        self.assertEqual((status, error["error"]), (400, "invalid_grant"))
        # The audit log tells who allowed what, and that the grant was revoked on reuse.
        audit = self.server.cli("audit", "--tenant", "demo", "--limit", "1000", check=True).stdout
        lines = [line.split(None, 6) for line in audit.strip().splitlines()[1:]]
        authorized = [l for l in lines if l[3] == "oauth.authorize" and l[5] == self.shared[0]]
        self.assertTrue(authorized and authorized[0][1] == "login:demo-admin", audit)
        self.assertIn(OKTA_CALLBACK, authorized[0][6])
        self.assertTrue(any(l[3] == "oauth.token" and '"authorization_code"' in l[6] for l in lines), audit)
        self.assertTrue(any(l[3] == "oauth.grant_revoked" and l[1] == "oauth:" + self.shared[0] for l in lines), audit)
        for secret in (code, tokens["access_token"], tokens["refresh_token"], self.shared[1]):
            self.assertNotIn(secret, audit)

    def test_a_code_works_once_and_its_reuse_revokes_what_it_gave(self):
        browser = Browser(self.server.port)
        code = self.code_from(self.sign_in_and_allow(browser, authorize_url(self.shared[0], scope="scim"),
                                                     "demo-admin", "Tr0ub4dor&3-demo"))
        status, tokens = self.exchange(self.shared, code, None)
        self.assertEqual(status, 200, tokens)
        self.assertNotIn("refresh_token", tokens)  # no offline_access asked
        self.assertEqual(self.scim_status(tokens["access_token"]), 200)
        status, error = self.exchange(self.shared, code, None)
        self.assertEqual((status, error["error"]), (400, "invalid_grant"))
        self.assertEqual(self.scim_status(tokens["access_token"]), 401)

    def test_pkce_and_redirect_uri_must_match(self):
        verifier, challenge = pkce_pair()
        other_verifier, _ = pkce_pair()
        for presented, redirect_uri in ((None, OKTA_CALLBACK), (other_verifier, OKTA_CALLBACK),
                                        (verifier, OKTA_CALLBACK.replace("okta.com", "oktapreview.com"))):
            browser = Browser(self.server.port)
            url = authorize_url(self.shared[0], code_challenge=challenge, code_challenge_method="S256")
            code = self.code_from(self.sign_in_and_allow(browser, url, "demo-admin", "Tr0ub4dor&3-demo"))
            status, error = self.exchange(self.shared, code, presented, redirect_uri)
            self.assertEqual((status, error["error"]), (400, "invalid_grant"), (presented, redirect_uri))
        # A code is bound to its client, too.
        browser = Browser(self.server.port)
        code = self.code_from(self.sign_in_and_allow(browser, authorize_url(self.shared[0]), "demo-admin",
                                                     "Tr0ub4dor&3-demo"))
        status, error = self.exchange(self.globex_client, code, None)
        self.assertEqual((status, error["error"]), (400, "invalid_grant"))

    def test_unregistered_redirect_uris_and_clients_are_never_redirected_to(self):
        browser = Browser(self.server.port)
        for url in (authorize_url(self.shared[0], redirect_uri="https://evil.example/cb"),
                    authorize_url(self.shared[0], redirect_uri=OKTA_CALLBACK + "/../../evil"),
                    authorize_url(self.shared[0], redirect_uri=OKTA_CALLBACK.replace("acme_scim", "other_app")),
                    authorize_url(self.shared[0], redirect_uri="https://system-admin.okta.com.evil.example/admin/app/"
                                                               "cpc/acme_scim/oauth/callback"),
                    authorize_url(self.globex_client[0], redirect_uri="https://app.example.com/cb?next=evil"),
                    authorize_url("scimdc_unknown")):
            status, headers, page = browser.request("GET", url)
            self.assertEqual(status, 400, url)
            self.assertNotIn("location", headers)
        # Errors about the request itself go back to the (registered) client, with its state.
        status, headers, _ = browser.request("GET", authorize_url(self.shared[0], response_type="token"))
        self.assertEqual(status, 302)
        self.assertIn("error=unsupported_response_type", headers["location"])
        self.assertIn("state=okta-state-123", headers["location"])
        status, headers, _ = browser.request("GET", authorize_url(self.shared[0], code_challenge="x" * 43,
                                                                  code_challenge_method="plain"))
        self.assertIn("error=invalid_request", headers["location"])

    def test_denying_redirects_with_access_denied(self):
        browser = Browser(self.server.port)
        status, headers, _ = self.sign_in_and_allow(browser, authorize_url(self.shared[0]), "demo-admin",
                                                    "Tr0ub4dor&3-demo", decision="deny")
        self.assertEqual(status, 302)
        self.assertTrue(headers["location"].startswith(OKTA_CALLBACK + "?error=access_denied"), headers["location"])
        self.assertNotIn("code=", headers["location"])

    def test_logins_are_checked_without_telling_which_part_was_wrong(self):
        browser = Browser(self.server.port)
        status, _, page = browser.request("GET", authorize_url(self.shared[0]))
        login = Form(page)
        answers = []
        for username, password in (("demo-admin", "wrong"), ("nobody", "wrong")):
            status, _, page = browser.request("POST", "/oauth/authorize",
                                              dict(login.fields, username=username, password=password))
            self.assertEqual(status, 200)
            self.assertIn("The username or password is not valid.", page)
            self.assertNotIn("consent", Form(page).fields.get("step", ""))
            answers.append(page)
        self.assertEqual(answers[0], answers[1])
        # A tenant's client accepts only that tenant's login.
        browser = Browser(self.server.port)
        status, _, page = browser.request("GET", authorize_url(self.globex_client[0],
                                                               redirect_uri="https://app.example.com/cb"))
        status, _, page = browser.request("POST", "/oauth/authorize", dict(Form(page).fields, username="demo-admin",
                                                                           password="Tr0ub4dor&3-demo"))
        self.assertIn("The username or password is not valid.", page)
        code = self.code_from(self.sign_in_and_allow(Browser(self.server.port), authorize_url(
            self.globex_client[0], redirect_uri="https://app.example.com/cb"), "globex-admin", "Tr0ub4dor&3-globex"),
            redirect_uri="https://app.example.com/cb")
        status, tokens = self.exchange(self.globex_client, code, None, "https://app.example.com/cb")
        self.assertEqual(status, 200, tokens)
        self.assertEqual(self.scim_status(tokens["access_token"], "globex"), 200)

    def test_forms_without_this_browsers_csrf_token_are_refused(self):
        browser = Browser(self.server.port)
        status, _, page = browser.request("GET", authorize_url(self.shared[0]))
        fields = dict(Form(page).fields, username="demo-admin", password="Tr0ub4dor&3-demo")
        attacker = Browser(self.server.port)  # no cookie: a cross-site form post
        status, _, page = attacker.request("POST", "/oauth/authorize", fields)
        self.assertEqual(status, 400)
        self.assertIn("expired", page)
        status, _, page = browser.request("POST", "/oauth/authorize", dict(fields, csrf="0" * 64))
        self.assertEqual(status, 400)
        # A consent ticket does not carry over to another browser either.
        status, _, page = browser.request("POST", "/oauth/authorize", fields)
        consent = Form(page)
        other = Browser(self.server.port)
        other.request("GET", authorize_url(self.shared[0]))  # its own cookie
        status, headers, page = other.request("POST", "/oauth/authorize", dict(consent.fields, decision="allow"))
        self.assertEqual(status, 400)
        self.assertNotIn("location", headers)


class LoginLockoutTest(unittest.TestCase):
    def test_repeated_failed_logins_are_locked_out(self):
        server = Server(env={"SCIMD_AUTH_MAX_FAILURES": "3"}).start()
        try:
            server.set_login("demo", "demo-admin", "Correct-Horse-9")
            client_id, _ = server.create_oauth_client("--shared", "--okta-callbacks", "acme_scim")
            browser = Browser(server.port)
            status, _, page = browser.request("GET", authorize_url(client_id))
            fields = Form(page).fields
            for _ in range(3):
                status, _, page = browser.request("POST", "/oauth/authorize", dict(fields, username="demo-admin",
                                                                                   password="guess"))
                self.assertEqual(status, 200)
            status, headers, page = browser.request("POST", "/oauth/authorize",
                                                    dict(fields, username="demo-admin", password="Correct-Horse-9"))
            self.assertEqual(status, 429, page)
            self.assertIn("Too many failed sign-in attempts", page)
            self.assertTrue(headers["retry-after"].isdigit())
        finally:
            self.assertEqual(server.stop(), 0)
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
