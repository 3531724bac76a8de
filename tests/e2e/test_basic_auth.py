"""HTTP Basic (issue 5, item 2): a tenant's SCIM username and password, set with
`scimd login set TENANT USERNAME` (password on standard input), as Okta's "Basic Auth" mode uses
them, on the tenant's base URL and on the shared one."""
from __future__ import annotations

import base64
import subprocess
import unittest

from harness import BINARY, ServerTestCase, cli_env, new_user, wait_until

PASSWORD = "correct-horse-battery"


def basic(username: str, password: str) -> str:
    return base64.b64encode(f"{username}:{password}".encode()).decode()


class BasicAuth(ServerTestCase):
    def login_set(self, tenant: str, username: str, password: str) -> subprocess.CompletedProcess:
        return subprocess.run([BINARY, "login", "set", tenant, username, "--data", self.server.data_dir],
                              input=password + "\n", capture_output=True, text=True, timeout=60,
                              env=cli_env(self.server.data_dir))

    def basic_client(self, username: str, password: str, prefix: str = "/scim/v2/demo"):
        return self.server.client(basic(username, password), prefix=prefix, scheme="Basic ")

    def test_basic_works_everywhere_a_token_does(self):
        result = self.login_set("demo", "okta-demo", PASSWORD)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn(PASSWORD, result.stdout + result.stderr)
        client = self.basic_client("okta-demo", PASSWORD)
        created = client.post("/Users", new_user("basic@example.com"))
        self.assertEqual(created.status, 201, created.text)
        self.assertEqual(client.get(f"/Users/{created.json['id']}").status, 200)
        # Usernames are case-insensitive, passwords are not.
        self.assertEqual(self.basic_client("OKTA-DEMO", PASSWORD).get("/Users").status, 200)
        self.assertScimError(self.basic_client("okta-demo", PASSWORD.upper()).get("/Users"), 401)
        # The shared base URL: the username picks the tenant.
        shared = self.basic_client("okta-demo", PASSWORD, prefix="/scim/v2")
        self.assertEqual(shared.get(f"/Users/{created.json['id']}").status, 200)
        # The journal says which credential it was.
        key = self.server.cli("apikey", "issue", check=True).stdout.strip().splitlines()[-1]
        host = self.server.client(key, prefix="/api/v1/tenants/demo")
        self.assertTrue(wait_until(lambda: any(e["credential"] == "basic:okta-demo"
                                               for e in host.get("/journal").json["entries"])))
        host.close()
        show = self.server.cli("login", "show", "demo", check=True).stdout
        self.assertIn("okta-demo", show)
        self.assertNotIn(PASSWORD, show)
        client.close()
        shared.close()

    def test_wrong_unknown_and_foreign_credentials_are_refused_alike(self):
        self.assertEqual(self.login_set("demo", "demo-admin", PASSWORD).returncode, 0)
        self.server.cli("tenant", "create", "globex", check=True)
        self.assertEqual(self.login_set("globex", "globex-admin", PASSWORD + "-g").returncode, 0)
        refusals = [
            self.basic_client("demo-admin", "wrong-password-here").get("/Users"),
            self.basic_client("nobody", PASSWORD).get("/Users"),
            # globex's own credentials on demo's URL
            self.basic_client("globex-admin", PASSWORD + "-g").get("/Users"),
            self.server.client("bm90LWJhc2U2NA", scheme="Basic ").get("/Users"),
        ]
        for response in refusals:
            self.assertScimError(response, 401)
        self.assertEqual(len({r.json["detail"] for r in refusals[:3]}), 1,
                         "a wrong password, an unknown user and another tenant's login read the same")
        self.assertEqual(self.basic_client("globex-admin", PASSWORD + "-g", prefix="/scim/v2/globex").get("/Users").status, 200)

    def test_changing_or_removing_the_login_takes_effect_at_once(self):
        self.assertEqual(self.login_set("demo", "rotating", PASSWORD).returncode, 0)
        old = self.basic_client("rotating", PASSWORD)
        self.assertEqual(old.get("/Users").status, 200)  # now remembered as verified
        self.assertEqual(self.login_set("demo", "rotating", PASSWORD + "-2").returncode, 0)
        self.assertScimError(self.basic_client("rotating", PASSWORD).get("/Users"), 401)
        self.assertEqual(self.basic_client("rotating", PASSWORD + "-2").get("/Users").status, 200)
        self.assertEqual(self.server.cli("login", "remove", "demo").returncode, 0)
        self.assertScimError(self.basic_client("rotating", PASSWORD + "-2").get("/Users"), 401)
        self.assertEqual(self.server.cli("login", "remove", "demo").returncode, 3)
        # The tenant's tokens are not affected.
        self.assertEqual(self.scim.get("/Users").status, 200)
        old.close()

    def test_bad_logins_are_refused_with_a_reason(self):
        for args, password, word in (((), "short", "12 to 1024"), (("a:b",), PASSWORD, "':'"),
                                     (("",), PASSWORD, "1 to 128")):
            result = self.login_set("demo", args[0] if args else "someone", password)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn(word, result.stderr)
        empty = subprocess.run([BINARY, "login", "set", "demo", "someone", "--data", self.server.data_dir],
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                               env=cli_env(self.server.data_dir))
        self.assertEqual(empty.returncode, 2)
        self.assertIn("standard input", empty.stderr)
        self.assertEqual(self.login_set("nope", "someone", PASSWORD).returncode, 3)
        self.server.cli("tenant", "create", "initech", check=True)
        self.assertEqual(self.login_set("initech", "taken-name", PASSWORD).returncode, 0)
        taken = self.login_set("demo", "TAKEN-NAME", PASSWORD)
        self.assertEqual(taken.returncode, 2)
        self.assertIn("taken by another tenant", taken.stderr)


if __name__ == "__main__":
    unittest.main()
