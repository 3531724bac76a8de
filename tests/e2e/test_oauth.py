"""The OAuth 2 authorization server: clients from the CLI, the client credentials grant at
/oauth/token (RFC 6749 §4.4, errors as §5.2), the RFC 8414 metadata, and access tokens on the
SCIM endpoints, against the real binary over HTTP. The authorization code grant: test_oauth_code.py."""
from __future__ import annotations

import base64
import http.client
import json
import time
import unittest
import urllib.parse

from harness import Client, Server, new_user


class OAuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"SCIMD_OAUTH_ACCESS_TOKEN_SECONDS": "2", "SCIMD_AUTH_MAX_FAILURES": "4"}).start()
        cls.server.cli("tenant", "create", "globex", check=True)
        cls.client_id, cls.secret = cls.server.create_oauth_client("--tenant", "demo")

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        cls.server.cleanup()
        assert code == 0, f"scimd exited {code}"

    def post_token(self, form: dict | str | None, basic: tuple[str, str] | None = None,
                   content_type: str = "application/x-www-form-urlencoded", method: str = "POST"):
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        headers = {"Content-Type": content_type}
        if basic:
            pair = f"{urllib.parse.quote(basic[0])}:{urllib.parse.quote(basic[1])}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        body = form if isinstance(form, str) or form is None else urllib.parse.urlencode(form)
        connection.request(method, "/oauth/token", body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(text) if text else {}

    def assertOAuthError(self, answer, status: int, error: str):
        code, headers, body = answer
        self.assertEqual((code, body.get("error")), (status, error), body)
        self.assertTrue(body.get("error_description"))
        self.assertEqual(headers.get("cache-control"), "no-store")
        if status == 401:
            self.assertIn("Basic", headers.get("www-authenticate", ""))

    def token(self) -> str:
        status, headers, body = self.post_token({"grant_type": "client_credentials"}, basic=(self.client_id, self.secret))
        self.assertEqual(status, 200, body)
        return body["access_token"]

    def test_client_credentials_with_basic_and_with_the_form(self):
        status, headers, body = self.post_token({"grant_type": "client_credentials"}, basic=(self.client_id, self.secret))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["expires_in"], 2)
        self.assertTrue(body["access_token"].startswith("scimdat_"))
        self.assertEqual(headers["cache-control"], "no-store")
        self.assertEqual(headers["pragma"], "no-cache")
        self.assertNotIn("refresh_token", body)  # RFC 6749 §4.4.3
        status, _, body = self.post_token({"grant_type": "client_credentials", "client_id": self.client_id,
                                           "client_secret": self.secret, "scope": "scim"})
        self.assertEqual(status, 200, body)

    def test_the_access_token_works_on_scim_for_its_tenant_only_until_it_expires(self):
        token = self.token()
        scim = Client(self.server.port, "Bearer " + token)
        created = scim.post("/Users", new_user("oauth.user"))
        self.assertEqual(created.status, 201, created.text)
        self.assertEqual(scim.get("/Users/" + created.json["id"]).status, 200)
        foreign = Client(self.server.port, "Bearer " + token, prefix="/scim/v2/globex")
        self.assertEqual(foreign.get("/Users").status, 401)
        time.sleep(2.5)
        expired = scim.get("/Users")
        self.assertEqual(expired.status, 401, expired.text)
        scim.close()
        foreign.close()

    def test_deleting_the_client_revokes_its_tokens(self):
        client_id, secret = self.server.create_oauth_client("--tenant", "demo")
        status, _, body = self.post_token({"grant_type": "client_credentials"}, basic=(client_id, secret))
        self.assertEqual(status, 200)
        scim = Client(self.server.port, "Bearer " + body["access_token"])
        self.assertEqual(scim.get("/Users").status, 200)
        self.server.cli("oauth", "client", "delete", client_id, check=True)
        self.assertEqual(scim.get("/Users").status, 401)
        scim.close()
        self.assertEqual(self.server.cli("oauth", "client", "delete", client_id).returncode, 3)
        listed = self.server.cli("oauth", "client", "list", check=True).stdout
        self.assertNotIn(client_id, listed)
        self.assertIn(self.client_id, listed)
        self.assertNotIn(self.secret, listed)

    def test_errors_are_rfc_6749_section_5_2(self):
        grant = {"grant_type": "client_credentials"}
        self.assertOAuthError(self.post_token(grant), 401, "invalid_client")
        self.assertOAuthError(self.post_token(grant, basic=("scimdc_unknown", self.secret)), 401, "invalid_client")
        self.assertOAuthError(self.post_token(dict(grant, client_secret=self.secret), basic=(self.client_id, self.secret)),
                              400, "invalid_request")
        self.assertOAuthError(self.post_token({}, basic=(self.client_id, self.secret)), 400, "invalid_request")
        self.assertOAuthError(self.post_token({"grant_type": "password"}, basic=(self.client_id, self.secret)),
                              400, "unsupported_grant_type")
        self.assertOAuthError(self.post_token("grant_type=client_credentials&grant_type=client_credentials",
                                              basic=(self.client_id, self.secret)), 400, "invalid_request")
        self.assertOAuthError(self.post_token(json.dumps(grant), basic=(self.client_id, self.secret),
                                              content_type="application/json"), 400, "invalid_request")
        status, headers, _ = self.post_token(None, method="GET")
        self.assertEqual(status, 405)
        self.assertEqual(headers.get("allow"), "POST")
        shared_id, shared_secret = self.server.create_oauth_client("--shared", "--okta-callbacks", "acme_scim")
        self.assertOAuthError(self.post_token(grant, basic=(shared_id, shared_secret)), 400, "unauthorized_client")

    def test_guessing_a_client_secret_is_locked_out(self):
        client_id, secret = self.server.create_oauth_client("--tenant", "globex")
        grant = {"grant_type": "client_credentials"}
        for _ in range(4):
            self.assertOAuthError(self.post_token(grant, basic=(client_id, "wrong")), 401, "invalid_client")
        status, headers, body = self.post_token(grant, basic=(client_id, secret))  # even the right one, for a while
        self.assertEqual(status, 429, body)
        self.assertTrue(headers["retry-after"].isdigit())
        status, _, _ = self.post_token(grant, basic=(self.client_id, self.secret))  # other clients are not affected
        self.assertEqual(status, 200)

    def test_metadata(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        connection.request("GET", "/.well-known/oauth-authorization-server")
        response = connection.getresponse()
        metadata = json.loads(response.read())
        connection.close()
        self.assertEqual(response.status, 200)
        origin = f"http://127.0.0.1:{self.server.port}"
        self.assertEqual(metadata["issuer"], origin)
        self.assertEqual(metadata["token_endpoint"], origin + "/oauth/token")
        self.assertEqual(metadata["authorization_endpoint"], origin + "/oauth/authorize")
        self.assertEqual(sorted(metadata["grant_types_supported"]),
                         ["authorization_code", "client_credentials", "refresh_token"])
        self.assertEqual(metadata["response_types_supported"], ["code"])
        self.assertEqual(metadata["code_challenge_methods_supported"], ["S256"])
        self.assertEqual(sorted(metadata["token_endpoint_auth_methods_supported"]),
                         ["client_secret_basic", "client_secret_post"])


class OAuthClientCliTest(unittest.TestCase):
    def test_create_refuses_bad_input_and_changes_nothing(self):
        server = Server().start()
        try:
            for args, message in [
                ((), "either --tenant"),
                (("--tenant", "demo", "--shared"), "either --tenant"),
                (("--tenant", "demo", "--redirect-uri", "http://evil.example/cb"), "localhost only"),
                (("--tenant", "demo", "--redirect-uri", "https://app.example/cb#frag"), "fragment"),
                (("--tenant", "demo", "--redirect-uri", "https://user@app.example/cb"), "user information"),
                (("--shared", "--okta-callbacks", "bad name"), "Okta app name"),
            ]:
                result = server.cli("oauth", "client", "create", *args)
                self.assertEqual(result.returncode, 2, (args, result.stderr))
                self.assertIn(message, result.stderr, args)
            missing = server.cli("oauth", "client", "create", "--tenant", "nosuch")
            self.assertEqual(missing.returncode, 3, missing.stderr)
            listed = server.cli("oauth", "client", "list", check=True).stdout.strip().splitlines()
            self.assertEqual(len(listed), 1, listed)  # the header only
        finally:
            self.assertEqual(server.stop(), 0)
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
