"""The admin API (/api/v1/admin): operators bootstrapped by the CLI, console sessions with CSRF
protection, API keys, tenant admins invited to one tenant and kept to it, every CLI credential
operation over HTTP with its effect on the SCIM endpoints, the audit log, and bad input that
changes nothing."""
from __future__ import annotations

import http.client
import json
import unittest
import urllib.parse

from harness import Client, Server, ServerTestCase, basic_authorization

PASSWORD = "Operator-password-1"


class Admin:
    """A client of the admin API, by API key (`key`) or by the session a login opened."""

    def __init__(self, port: int, key: str | None = None):
        self.http = Client(port, None if key is None else "Bearer " + key, prefix="/api/v1/admin")
        self.cookie: str | None = None
        self.csrf: str | None = None

    def close(self):
        self.http.close()

    def request(self, method: str, path: str, body=None, headers: dict | None = None, csrf: bool = True):
        hdrs = {"Accept": "application/json", "Content-Type": "application/json"}
        if self.cookie:
            hdrs["Cookie"] = self.cookie
        if self.csrf and csrf:
            hdrs["X-CSRF-Token"] = self.csrf
        hdrs.update(headers or {})
        raw = None if body is None else json.dumps(body).encode()
        # Paths the API returns (an invitation's accept_path) are absolute.
        return self.http.request(method, path, raw=raw, headers=hdrs, absolute=path.startswith("/api/"))

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def log_in(self, name: str, password: str):
        response = self.post("/login", {"name": name, "password": password})
        if response.status == 200:
            set_cookie = response.header("Set-Cookie")
            self.cookie = set_cookie.split(";", 1)[0]
            self.csrf = response.json["csrf_token"]
        return response


class AdminApiTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        created = cls.server.cli("operator", "create", "root", input=PASSWORD + "\n", check=True)
        assert "Created operator 'root'" in created.stdout, created.stdout
        cls.key = cls.server.cli("operator", "key", "root", "--label", "tests", check=True).stdout.strip().splitlines()[-1]

    def setUp(self):
        super().setUp()
        self.admin = Admin(self.server.port, self.key)

    def tearDown(self):
        self.admin.close()
        super().tearDown()

    def scim_client(self, token: str, tenant: str) -> Client:
        client = self.server.client(token, prefix=f"/scim/v2/{tenant}")
        self.addCleanup(client.close)
        return client

    def audit_actions(self, tenant: str) -> list[dict]:
        response = self.admin.get(f"/tenants/{tenant}/audit")
        self.assertEqual(response.status, 200, response.text)
        return response.json["entries"]

    def test_session_login_needs_the_csrf_token_for_changes_and_ends_at_logout(self):
        console = Admin(self.server.port)
        self.addCleanup(console.close)
        self.assertScimError(console.get("/me"), 401)
        refused = console.post("/login", {"name": "root", "password": "wrong-password-123"})
        self.assertScimError(refused, 401)
        unknown = console.post("/login", {"name": "nobody", "password": "wrong-password-123"})
        self.assertEqual(unknown.json["detail"], refused.json["detail"], "must not tell which names exist")

        response = console.log_in("root", PASSWORD)
        self.assertEqual(response.status, 200, response.text)
        cookie = response.header("Set-Cookie")
        for attribute in ("HttpOnly", "SameSite=Strict", "Path=/api/v1/admin"):
            self.assertIn(attribute, cookie)
        self.assertEqual(response.json["account"]["role"], "operator")
        me = console.get("/me")
        self.assertEqual(me.status, 200, me.text)
        self.assertEqual((me.json["name"], me.json["credential"]["kind"]), ("root", "session"))

        # A change with the cookie alone (what a cross-site form would send) is refused and changes nothing.
        forged = console.post("/tenants", {"name": "forged"}, csrf=False)
        self.assertScimError(forged, 403)
        self.assertEqual(self.admin.get("/tenants/forged").status, 404)
        created = console.post("/tenants", {"name": "console-made"})
        self.assertEqual(created.status, 201, created.text)
        # A form-encoded body (what a cross-site form sends) is refused even with the token.
        raw = console.http.request("POST", "/tenants", raw=b"name=x", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": console.cookie,
            "X-CSRF-Token": console.csrf})
        self.assertScimError(raw, 415)

        self.assertEqual(console.post("/logout").status, 204)
        self.assertScimError(console.get("/me"), 401)
        actions = [e["action"] for e in self.admin.get("/audit?limit=20").json["entries"]]
        for action in ("admin.logout", "tenant.create", "admin.login", "admin.login_failed"):
            self.assertIn(action, actions)

    def test_an_operator_manages_a_tenants_credentials_and_they_work_on_scim(self):
        secrets = []
        created = self.admin.post("/tenants", {"name": "globex"})
        self.assertEqual(created.status, 201, created.text)
        self.assertEqual(created.json["name"], "globex")
        self.assertScimError(self.admin.post("/tenants", {"name": "GLOBEX"}), 409)

        issued = self.admin.post("/tenants/globex/tokens", {"label": "okta", "expires_days": 30})
        self.assertEqual(issued.status, 201, issued.text)
        token, token_id = issued.json["token"], issued.json["id"]
        secrets.append(token)
        self.assertEqual(self.scim_client(token, "globex").get("/Users").status, 200)
        listed = self.admin.get("/tenants/globex/tokens")
        self.assertEqual([(t["id"], t["label"], t["status"]) for t in listed.json["tokens"]], [(token_id, "okta", "active")])
        self.assertNotIn(token, listed.text)

        rotated = self.admin.post(f"/tenants/globex/tokens/{token_id}/rotate", {"overlap_hours": 1})
        self.assertEqual(rotated.status, 201, rotated.text)
        secrets.append(rotated.json["token"])
        self.assertEqual(self.scim_client(rotated.json["token"], "globex").get("/Users").status, 200)
        self.assertEqual(self.scim_client(token, "globex").get("/Users").status, 200, "the old token works during the overlap")
        self.assertEqual(self.admin.delete(f"/tenants/globex/tokens/{token_id}").status, 204)
        self.assertScimError(self.scim_client(token, "globex").get("/Users"), 401)
        self.assertEqual(self.admin.delete(f"/tenants/globex/tokens/{token_id}").status, 204)  # already revoked
        self.assertScimError(self.admin.delete("/tenants/globex/tokens/tok_nosuch"), 404)

        login = self.admin.put("/tenants/globex/login", {"username": "globex-okta", "password": "Basic-password-12"})
        self.assertEqual(login.status, 200, login.text)
        secrets.append("Basic-password-12")
        basic = self.server.client(None, prefix="/scim/v2/globex")
        basic.authorization = basic_authorization("globex-okta", "Basic-password-12")
        self.addCleanup(basic.close)
        self.assertEqual(basic.get("/Users").status, 200)
        self.assertEqual(self.admin.get("/tenants/globex/login").json["username"], "globex-okta")

        client = self.admin.post("/tenants/globex/oauth-clients", {})
        self.assertEqual(client.status, 201, client.text)
        secrets.append(client.json["client_secret"])
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        connection.request("POST", "/oauth/token", body=urllib.parse.urlencode({"grant_type": "client_credentials"}),
                           headers={"Authorization": basic_authorization(client.json["client_id"], client.json["client_secret"]),
                                    "Content-Type": "application/x-www-form-urlencoded"})
        grant = connection.getresponse()
        self.assertEqual(grant.status, 200)
        self.assertEqual(self.scim_client(json.loads(grant.read())["access_token"], "globex").get("/Users").status, 200)
        connection.close()
        self.assertEqual(self.admin.delete("/tenants/globex/oauth-clients/" + client.json["client_id"]).status, 204)

        settings = self.admin.patch("/tenants/globex/settings", {"profile": "okta", "rate_limit": "500"})
        self.assertEqual(settings.status, 200, settings.text)
        self.assertEqual((settings.json["settings"]["profile"], settings.json["settings"]["rate_limit"]), ("okta", "500"))
        # All or nothing: one bad value leaves every setting as it was.
        bad = self.admin.patch("/tenants/globex/settings", {"profile": "entra", "compatibility": "sloppy"})
        self.assertScimError(bad, 400)
        self.assertEqual(self.admin.get("/tenants/globex").json["settings"]["profile"], "okta")

        key = self.admin.post("/apikeys", {"tenant": "globex", "label": "app"})
        self.assertEqual(key.status, 201, key.text)
        secrets.append(key.json["key"])
        host = Client(self.server.port, "Bearer " + key.json["key"], prefix="/api/v1/tenants/globex")
        self.addCleanup(host.close)
        self.assertEqual(host.get("/events").status, 200)
        self.assertEqual(self.admin.delete("/apikeys/" + key.json["id"]).status, 204)
        self.assertScimError(host.get("/events"), 401)

        entries = self.audit_actions("globex")
        self.assertEqual([e["action"] for e in reversed(entries)],
                         ["tenant.create", "token.issue", "token.rotate", "token.revoke", "token.revoke", "login.set",
                          "oauth_client.create", "oauth.token", "oauth_client.delete", "tenant.set", "apikey.issue", "apikey.revoke"])
        for entry in entries:
            if entry["action"] != "oauth.token":
                self.assertEqual((entry["actor"], entry["source"]), ("operator:root", "127.0.0.1"), entry)
        everything = self.admin.get("/audit?limit=1000").text
        for secret in secrets:
            self.assertNotIn(secret, everything)

        self.assertEqual(self.admin.delete("/tenants/globex").status, 204)
        self.assertScimError(self.scim_client(rotated.json["token"], "globex").get("/Users"), 401)

    def test_a_tenant_admin_is_invited_to_one_tenant_and_kept_to_it(self):
        for name in ("initech", "hooli"):
            self.assertEqual(self.admin.post("/tenants", {"name": name}).status, 201)
        invite = self.admin.post("/tenants/initech/invites", {"days": 2})
        self.assertEqual(invite.status, 201, invite.text)
        anonymous = Admin(self.server.port)
        self.addCleanup(anonymous.close)
        self.assertScimError(anonymous.post(invite.json["accept_path"], {"name": "ina", "password": "short"}), 400)
        accepted = anonymous.post(invite.json["accept_path"], {"name": "ina", "password": "Tenant-admin-pw-1"})
        self.assertEqual(accepted.status, 201, accepted.text)
        self.assertEqual((accepted.json["role"], accepted.json["tenant"]), ("tenant_admin", "initech"))
        again = anonymous.post(invite.json["accept_path"], {"name": "ina2", "password": "Tenant-admin-pw-1"})
        self.assertScimError(again, 404)

        ina = Admin(self.server.port)
        self.addCleanup(ina.close)
        self.assertEqual(ina.log_in("ina", "Tenant-admin-pw-1").status, 200)
        issued = ina.post("/tenants/initech/tokens", {"label": "entra"})
        self.assertEqual(issued.status, 201, issued.text)
        self.assertEqual(self.scim_client(issued.json["token"], "initech").get("/Users").status, 200)
        self.assertEqual(ina.get("/tenants/initech").status, 200)
        self.assertEqual(ina.get("/tenants/initech/audit").status, 200)
        # Another tenant looks like no tenant at all; server-wide endpoints are an operator's.
        for path in ("/tenants/hooli", "/tenants/hooli/tokens", "/tenants/nosuch/tokens"):
            self.assertScimError(ina.get(path), 404)
        self.assertScimError(ina.post("/tenants/hooli/tokens", {}), 404)
        for path in ("/tenants", "/operators", "/apikeys", "/audit", "/oauth-clients"):
            self.assertScimError(ina.get(path), 403)
        self.assertScimError(ina.patch("/tenants/initech/settings", {"profile": "okta"}), 403)
        self.assertScimError(ina.post("/tenants/initech/invites", {}), 403)
        self.assertScimError(ina.delete("/tenants/initech"), 403)
        self.assertEqual(self.admin.get("/tenants/initech").status, 200)
        self.assertEqual(self.admin.get("/tenants/hooli/tokens").json["tokens"], [])

        audit = self.audit_actions("initech")
        by_action = {e["action"]: e for e in audit}
        self.assertEqual(by_action["token.issue"]["actor"], "tenant_admin:ina")
        self.assertEqual(by_action["invite.accept"]["actor"], "tenant_admin:ina")
        self.assertEqual(by_action["invite.create"]["actor"], "operator:root")

        admins = self.admin.get("/tenants/initech/admins").json["accounts"]
        self.assertEqual([a["name"] for a in admins], ["ina"])
        self.assertEqual(self.admin.delete("/tenants/initech/admins/ina").status, 204)
        self.assertScimError(ina.get("/me"), 401)

    def test_operators_keys_and_passwords(self):
        made = self.admin.post("/operators", {"name": "ops2", "password": "Second-operator-1"})
        self.assertEqual(made.status, 201, made.text)
        self.assertScimError(self.admin.post("/operators", {"name": "OPS2", "password": "Second-operator-1"}), 409)
        ops2 = Admin(self.server.port)
        self.addCleanup(ops2.close)
        self.assertEqual(ops2.log_in("ops2", "Second-operator-1").status, 200)
        key = ops2.post("/me/keys", {"label": "ci"})
        self.assertEqual(key.status, 201, key.text)
        by_key = Admin(self.server.port, key.json["key"])
        self.addCleanup(by_key.close)
        self.assertEqual(by_key.get("/me").json["credential"], {"id": key.json["id"], "kind": "key"})
        self.assertEqual([k["id"] for k in ops2.get("/me/keys").json["keys"]], [key.json["id"]])
        # A key is a bearer token and a session a cookie: neither works as the other.
        as_cookie = Admin(self.server.port)
        self.addCleanup(as_cookie.close)
        as_cookie.cookie = "scimd_admin=" + key.json["key"]
        self.assertScimError(as_cookie.get("/me"), 401)

        wrong = ops2.post("/me/password", {"current_password": "not-it-at-all", "password": "New-password-123"})
        self.assertScimError(wrong, 403)
        changed = ops2.post("/me/password", {"current_password": "Second-operator-1", "password": "New-password-123"})
        self.assertEqual(changed.status, 204, changed.text)
        self.assertScimError(ops2.get("/me"), 401)  # the session ended with the password change
        self.assertEqual(by_key.get("/me").status, 200, "keys outlive a password change")
        self.assertEqual(by_key.delete("/me/keys/" + key.json["id"]).status, 204)
        self.assertScimError(by_key.get("/me"), 401)

        self.assertEqual(self.admin.delete("/operators/ops2").status, 204)
        self.assertScimError(self.admin.delete("/operators/root"), 409)  # the last operator stays
        self.assertEqual(self.admin.get("/me").status, 200)

    def test_wrong_credentials_and_bad_input_change_nothing(self):
        scim_token = self.server.demo_token
        with_scim_token = Admin(self.server.port, scim_token)
        self.addCleanup(with_scim_token.close)
        self.assertScimError(with_scim_token.get("/tenants"), 401)
        self.assertScimError(self.scim_client(self.key, "demo").get("/Users"), 401)
        self.assertScimError(self.admin.post("/tenants", {"name": "Users"}), 400)
        self.assertScimError(self.admin.post("/tenants", {"name": "ok", "extra": 1}), 400)
        self.assertScimError(self.admin.post("/tenants", {"name": 7}), 400)
        self.assertScimError(self.admin.post("/tenants/demo/tokens", {"expires_days": 0}), 400)
        self.assertScimError(self.admin.put("/tenants/demo/login", {"username": "a:b", "password": "Long-enough-pw-1"}), 400)
        self.assertScimError(self.admin.post("/tenants/demo/oauth-clients", {"redirect_uris": ["http://evil.example/cb"]}), 400)
        self.assertScimError(self.admin.post("/operators", {"name": "weak", "password": "short"}), 400)
        bad_json = self.admin.http.request("POST", "/tenants", raw=b"{", headers={"Content-Type": "application/json"})
        self.assertScimError(bad_json, 400)
        self.assertScimError(self.admin.request("PUT", "/tenants"), 405)
        self.assertScimError(self.admin.get("/nosuch"), 404)
        names = [t["name"] for t in self.admin.get("/tenants").json["tenants"]]
        for name in ("Users", "ok"):
            self.assertNotIn(name, names)
        self.assertEqual(self.admin.get("/operators").json["accounts"][0]["name"], "root")
        self.assertEqual(len(self.admin.get("/operators").json["accounts"]), 1)


class AdminLoginLockoutTest(unittest.TestCase):
    def test_repeated_failures_lock_the_address_out_even_with_the_right_password(self):
        server = Server(env={"SCIMD_AUTH_MAX_FAILURES": "3", "SCIMD_AUTH_LOCKOUT_SECONDS": "60"}).start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)
        server.cli("operator", "create", "root", input=PASSWORD + "\n", check=True)
        console = Admin(server.port)
        self.addCleanup(console.close)
        for _ in range(3):
            self.assertEqual(console.log_in("root", "guess-guess-guess").status, 401)
        locked = console.log_in("root", PASSWORD)
        self.assertEqual(locked.status, 429, locked.text)
        self.assertGreaterEqual(int(locked.header("Retry-After")), 1)

    def test_cli_bootstrap_refuses_bad_input(self):
        server = Server().start()
        self.addCleanup(server.cleanup)
        self.addCleanup(server.stop)
        self.assertEqual(server.cli("operator", "create", "root", input="short\n").returncode, 2)
        self.assertEqual(server.cli("operator", "create", "bad name", input=PASSWORD + "\n").returncode, 2)
        self.assertEqual(server.cli("operator", "create", "root").returncode, 2)  # no password on stdin
        listed = server.cli("operator", "list", check=True).stdout.strip().splitlines()
        self.assertEqual(len(listed), 1, listed)  # the header only
        server.cli("operator", "create", "root", input=PASSWORD + "\n", check=True)
        self.assertEqual(server.cli("operator", "create", "ROOT", input=PASSWORD + "\n").returncode, 2)
        self.assertEqual(server.cli("operator", "key", "nobody").returncode, 3)
        server.cli("operator", "password", "root", input="Another-password-1\n", check=True)
        console = Admin(server.port)
        self.addCleanup(console.close)
        self.assertEqual(console.log_in("root", PASSWORD).status, 401)
        self.assertEqual(console.log_in("root", "Another-password-1").status, 200)


if __name__ == "__main__":
    unittest.main()
