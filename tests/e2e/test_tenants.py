"""Tenants, tokens and the CLI: isolation between tenants, the shared base URL, token lifecycle
taking effect in a running server, and the CLI's contract (exit codes, --help, output)."""
import json
import time
import unittest
import uuid

from harness import (BINARY, ON_POSTGRES, Client, Server, ServerTestCase, new_user, patch_op, run_cli)


class TenantIsolation(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        for name in ("acme", "globex"):
            s.cli("tenant", "create", name, check=True)
        cls.tokens = {"demo": s.demo_token, "acme": s.issue_token("acme"), "globex": s.issue_token("globex")}
        cls.users = {}
        cls.groups = {}
        for tenant, token in cls.tokens.items():
            c = s.client(token, prefix=f"/scim/v2/{tenant}")
            r = c.post("/Users", new_user(f"same.name@{tenant}.example"))
            assert r.status == 201, r.text
            cls.users[tenant] = r.json["id"]
            r = c.post("/Groups", {"displayName": "Everyone", "members": [{"value": r.json["id"]}]})
            assert r.status == 201, r.text
            cls.groups[tenant] = r.json["id"]
            c.close()

    def test_same_user_name_in_two_tenants_is_allowed(self):
        for tenant, token in self.tokens.items():
            c = self.server.client(token, prefix=f"/scim/v2/{tenant}")
            r = c.post("/Users", new_user("shared@example.com"))
            self.assertIn(r.status, (201, 409), r.text)
            body = c.get('/Users?filter=userName eq "shared@example.com"').json
            self.assertEqual(body["totalResults"], 1)
            c.close()

    def test_matrix_token_of_a_on_url_of_b_is_401(self):
        for token_tenant, token in self.tokens.items():
            for url_tenant in self.tokens:
                c = self.server.client(token, prefix=f"/scim/v2/{url_tenant}")
                r = c.get("/Users")
                if token_tenant == url_tenant:
                    self.assertEqual(r.status, 200, r.text)
                else:
                    self.assertScimError(r, 401)
                    self.assertIn("Bearer", r.header("WWW-Authenticate") or "")
                c.close()

    def test_no_resource_of_a_is_visible_or_changeable_through_b(self):
        for owner in self.tokens:
            for other, token in self.tokens.items():
                if other == owner:
                    continue
                c = self.server.client(token, prefix=f"/scim/v2/{other}")
                uid, gid = self.users[owner], self.groups[owner]
                self.assertScimError(c.get(f"/Users/{uid}"), 404)
                self.assertScimError(c.get(f"/Groups/{gid}"), 404)
                self.assertScimError(c.put(f"/Users/{uid}", new_user("x@y")), 404)
                self.assertScimError(c.patch(f"/Users/{uid}", patch_op({"op": "replace", "value": {"active": False}})),
                                     404)
                self.assertScimError(c.delete(f"/Users/{uid}"), 404)
                self.assertScimError(c.delete(f"/Groups/{gid}"), 404)
                body = c.get(f'/Users?filter=id eq "{uid}"').json
                self.assertEqual(body["totalResults"], 0)
                # Adding another tenant's user as a member is skipped, never linked.
                r = c.patch(f"/Groups/{self.groups[other]}",
                            patch_op({"op": "add", "path": "members", "value": [{"value": uid}]}))
                self.assertEqual(r.status, 204, r.text)
                members = c.get(f"/Groups/{self.groups[other]}").json.get("members", [])
                self.assertNotIn(uid, [m["value"] for m in members])
                c.close()
        # And the owner still sees everything intact.
        for owner, token in self.tokens.items():
            c = self.server.client(token, prefix=f"/scim/v2/{owner}")
            self.assertEqual(c.get(f"/Users/{self.users[owner]}").status, 200)
            group = c.get(f"/Groups/{self.groups[owner]}").json
            self.assertIn(self.users[owner], [m["value"] for m in group["members"]])
            c.close()

    def test_shared_base_url_selects_tenant_by_token(self):
        for tenant, token in self.tokens.items():
            c = self.server.client(token, prefix="/scim/v2")
            r = c.get(f"/Users/{self.users[tenant]}")
            self.assertEqual(r.status, 200, r.text)
            self.assertTrue(r.json["meta"]["location"].endswith(f"/scim/v2/Users/{self.users[tenant]}"))
            others = [u for t, u in self.users.items() if t != tenant]
            for uid in others:
                self.assertScimError(c.get(f"/Users/{uid}"), 404)
            c.close()

    def test_unknown_tenant_and_missing_token(self):
        c = self.server.client(self.tokens["acme"], prefix="/scim/v2/nosuchtenant")
        self.assertScimError(c.get("/Users"), 401)
        c.close()
        c = Client(self.server.port, None, prefix="/scim/v2/acme")
        self.assertScimError(c.get("/Users"), 401)
        self.assertScimError(c.get("/ServiceProviderConfig"), 401)
        c.close()


class AccessLog(ServerTestCase):
    def test_one_json_line_per_request_without_secrets_and_skipped_members_recorded(self):
        group = self.scim.post("/Groups", {"displayName": "Logged"}).json["id"]
        r = self.scim.patch(f"/Groups/{group}?secret=hunter2", patch_op(
            {"op": "add", "path": "members", "value": [{"value": "no-such-user-42"}]}))
        self.assertEqual(r.status, 204)
        lines = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not lines:
            lines = [json.loads(l) for l in self.server.output if l.startswith("{") and "no-such-user-42" in l]
            time.sleep(0.05)
        self.assertEqual(len(lines), 1, self.server.output[-5:])
        entry = lines[0]
        self.assertEqual(entry["method"], "PATCH")
        self.assertEqual(entry["status"], 204)
        self.assertEqual(entry["tenant"], "demo")
        self.assertTrue(entry["credential"].startswith("tok_"))
        self.assertIn("skipped unknown members: no-such-user-42", entry["note"])
        # The start-up banner shows the demo token once, on purpose; access-log lines never do.
        text = "\n".join(l for l in self.server.output if l.startswith("{"))
        self.assertNotIn(self.server.demo_token, text)
        self.assertNotIn("hunter2", text)


class TokenLifecycle(ServerTestCase):
    def test_issued_token_works_at_once_and_revoked_fails_at_once(self):
        s = self.server
        result = s.cli("token", "issue", "demo", "--label", "okta-prod")
        self.assertEqual(result.returncode, 0, result.stderr)
        token = result.stdout.strip().splitlines()[-1]
        self.assertTrue(token.startswith("scimd_"))
        self.assertEqual(len(result.stdout.strip().splitlines()), 1, "stdout holds the token alone")
        c = s.client(token)
        self.assertEqual(c.get("/Users").status, 200)

        listing = s.cli("token", "list", "demo")
        self.assertEqual(listing.returncode, 0)
        self.assertNotIn(token, listing.stdout, "token list never shows secrets")
        line = next(l for l in listing.stdout.splitlines() if "okta-prod" in l)
        token_id = line.split()[0]
        self.assertTrue(token_id.startswith("tok_"))

        revoke = s.cli("token", "revoke", "demo", token_id)
        self.assertEqual(revoke.returncode, 0, revoke.stderr)
        self.assertScimError(c.get("/Users"), 401)
        c.close()
        self.assertIn("revoked", s.cli("token", "list", "demo").stdout)
        # The demo token is unaffected: several tokens live at once.
        self.assertEqual(self.scim.get("/Users").status, 200)

    def test_rotation_keeps_the_old_token_for_the_overlap(self):
        s = self.server
        first = s.cli("token", "issue", "demo", "--label", "entra", check=True).stdout.strip().splitlines()[-1]
        first_id = next(l.split()[0] for l in s.cli("token", "list", "demo").stdout.splitlines() if " entra " in l)
        rotated = s.cli("token", "rotate", "demo", first_id, "--overlap", "2")
        self.assertEqual(rotated.returncode, 0, rotated.stderr)
        second = rotated.stdout.strip().splitlines()[-1]
        self.assertEqual(len(rotated.stdout.strip().splitlines()), 1, "stdout holds the new token alone")
        self.assertNotEqual(second, first)
        for token in (first, second):  # both work during the overlap
            c = s.client(token)
            self.assertEqual(c.get("/Users").status, 200)
            c.close()
        listing = [l for l in s.cli("token", "list", "demo").stdout.splitlines() if " entra " in l]
        self.assertEqual(len(listing), 2, "the new token keeps the old one's label")
        old_line = next(l for l in listing if l.startswith(first_id))
        self.assertNotIn("never", old_line.split()[3], "the old token now expires")

        # --overlap 0: the old token stops at once.
        second_id = next(l.split()[0] for l in listing if not l.startswith(first_id))
        third = s.cli("token", "rotate", "demo", second_id, "--overlap", "0", "--label", "entra-2", check=True)
        c = s.client(second)
        self.assertScimError(c.get("/Users"), 401)
        c.close()
        c = s.client(third.stdout.strip().splitlines()[-1])
        self.assertEqual(c.get("/Users").status, 200)
        c.close()
        self.assertEqual(s.cli("token", "rotate", "demo", "tok_nope").returncode, 3)
        revoked_id = next(l.split()[0] for l in s.cli("token", "list", "demo").stdout.splitlines() if " entra-2 " in l)
        s.cli("token", "revoke", "demo", revoked_id, check=True)
        self.assertEqual(s.cli("token", "rotate", "demo", revoked_id).returncode, 3, "a revoked token is not rotated")
        self.assertEqual(s.cli("token", "rotate", "demo", revoked_id, "--overlap", "-1").returncode, 2)

    def test_token_schemes(self):
        token = self.server.demo_token
        for header in (f"Bearer {token}", f"bearer {token}", token, f"Token token={token}", f"token={token}"):
            c = Client(self.server.port, header)
            self.assertEqual(c.get("/Users").status, 200, header)
            c.close()
        for header in ("Bearer", "Bearer scimd_nope", "Basic dXNlcjpwYXNz", token[:-1], token + "x"):
            c = Client(self.server.port, header)
            self.assertScimError(c.get("/Users"), 401)
            c.close()

    @unittest.skipIf(ON_POSTGRES, "ages a token by editing the SQLite file")
    def test_expiry(self):
        s = self.server
        self.assertEqual(s.cli("token", "issue", "demo", "--expires", "0").returncode, 2)
        good = s.cli("token", "issue", "demo", "--expires", "30", "--label", "expiring")
        self.assertEqual(good.returncode, 0, good.stderr)
        c = s.client(good.stdout.strip().splitlines()[-1])
        self.assertEqual(c.get("/Users").status, 200)
        # Move that token's expiry into the past, as time would: the next request is refused.
        import os
        import sqlite3
        db = sqlite3.connect(os.path.join(s.data_dir, "scimd.db"), timeout=10)
        with db:
            db.execute("UPDATE tokens SET expires = '2001-01-01T00:00:00.000Z' WHERE label = 'expiring'")
        db.close()
        self.assertScimError(c.get("/Users"), 401)
        c.close()
        self.assertIn("expired", s.cli("token", "list", "demo").stdout)

    def test_tenant_create_list_delete_while_running(self):
        s = self.server
        name = "t" + uuid.uuid4().hex[:8]
        self.assertEqual(s.cli("tenant", "create", name).returncode, 0)
        self.assertIn(name, s.cli("tenant", "list").stdout)
        token = s.issue_token(name)
        c = s.client(token, prefix=f"/scim/v2/{name}")
        self.assertEqual(c.post("/Users", new_user("gone@example.com")).status, 201)
        self.assertEqual(s.cli("tenant", "delete", name).returncode, 0)
        self.assertScimError(c.get("/Users"), 401)
        c.close()
        self.assertNotIn(name, s.cli("tenant", "list").stdout)
        self.assertEqual(s.cli("tenant", "delete", name).returncode, 3)


class CliContract(unittest.TestCase):
    def setUp(self):
        import tempfile
        self.dir = tempfile.mkdtemp(prefix="scimd-cli-")

    def tearDown(self):
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_help_on_every_command(self):
        import subprocess
        for args in ([], ["serve"], ["tenant"], ["tenant", "create"], ["tenant", "list"], ["tenant", "delete"],
                     ["token"], ["token", "issue"], ["token", "list"], ["token", "revoke"], ["token", "rotate"],
                     ["login", "set"], ["apikey", "issue"], ["events", "tail"], ["webhook", "add"],
                     ["webhook", "deliveries"], ["journal"], ["backup"], ["restore"]):
            r = subprocess.run([BINARY, *args, "--help"], capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 0, (args, r.stderr))
            self.assertIn("Usage", r.stdout + r.stderr, args)

    def test_usage_errors_exit_2_with_a_message(self):
        import subprocess
        for args in ([], ["nonsense"], ["tenant"], ["tenant", "create"], ["token", "issue"],
                     ["serve", "--listen"], ["token", "revoke", "demo"]):
            r = subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=30)
            self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
            self.assertTrue(r.stderr.strip(), args)

    @unittest.skipIf(ON_POSTGRES, "on PostgreSQL the CLI migrates an empty database: there is no 'no database yet'")
    def test_cli_before_any_server_and_bad_names(self):
        r = run_cli("tenant", "list", data_dir=self.dir + "/missing")
        self.assertEqual(r.returncode, 1)
        self.assertIn("does not exist", r.stderr)
        self.assertEqual(run_cli("tenant", "create", "acme", data_dir=self.dir).returncode, 0)
        self.assertEqual(run_cli("tenant", "create", "ACME", data_dir=self.dir).returncode, 2, "names are case-insensitive")
        for bad in ("Users", "-x", "a/b", "a b", "x" * 64, "ümlaut"):
            r = run_cli("tenant", "create", bad, data_dir=self.dir)
            self.assertNotEqual(r.returncode, 0, bad)
        r = run_cli("token", "issue", "nosuch", data_dir=self.dir)
        self.assertEqual(r.returncode, 3)
        self.assertIn("no tenant", r.stderr)
        r = run_cli("token", "revoke", "acme", "tok_nope", data_dir=self.dir)
        self.assertEqual(r.returncode, 3)

    def test_config_file_and_environment(self):
        import os
        config = os.path.join(self.dir, "scimd.toml")
        with open(config, "w") as f:
            f.write('listen = "127.0.0.1:0"\nmax_page_size = 5\n')
        s = Server(data_dir=self.dir + "/data", extra_args=("--config", config))
        # --listen from the harness wins over the file; max_page_size comes from the file.
        s.start()
        try:
            c = s.client()
            for i in range(7):
                self.assertEqual(c.post("/Users", new_user(f"u{i}@example.com")).status, 201)
            body = c.get("/Users?count=100").json
            self.assertEqual(body["itemsPerPage"], 5)
            self.assertEqual(body["totalResults"], 7)
            c.close()
        finally:
            self.assertEqual(s.stop(), 0)
        # The environment overrides the file.
        s = Server(data_dir=self.dir + "/data", extra_args=("--config", config), env={"SCIMD_MAX_PAGE_SIZE": "2"})
        s.start()
        try:
            token = s.issue_token("demo")
            c = s.client(token)
            self.assertEqual(c.get("/Users?count=100").json["itemsPerPage"], 2)
            c.close()
        finally:
            self.assertEqual(s.stop(), 0)
        with open(config, "w") as f:
            f.write('lissten = "x"\n')
        import subprocess
        r = subprocess.run([BINARY, "serve", "--config", config, "--data", self.dir + "/data"], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("lissten", r.stderr)


if __name__ == "__main__":
    unittest.main()


class TenantByHostTest(unittest.TestCase):
    """tenant_domain: {tenant}.{tenant_domain} selects the tenant, as the path would."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"SCIMD_TENANT_DOMAIN": "scim.test"}).start()
        cls.server.cli("tenant", "create", "acme", check=True)
        cls.acme_token = cls.server.issue_token("acme")

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        cls.server.cleanup()
        assert code == 0, f"scimd exited {code}"

    def request(self, host: str, path: str, token: str, method: str = "GET", body=None):
        client = Client(self.server.port, "Bearer " + token, prefix="")
        try:
            return client.request(method, path, body, headers={"Host": host})
        finally:
            client.close()

    def test_the_host_names_the_tenant(self):
        host = f"acme.scim.test:{self.server.port}"
        created = self.request(host, "/scim/v2/Users", self.acme_token, "POST", new_user("by.host"))
        self.assertEqual(created.status, 201, created.text)
        self.assertEqual(created.json["meta"]["location"],
                         f"http://{host}/scim/v2/Users/{created.json['id']}")
        self.assertEqual(self.request("ACME.Scim.Test", "/scim/v2/Users/" + created.json["id"],
                                      self.acme_token).status, 200)
        # Another tenant's credential on this host is refused as on the tenant's path.
        self.assertEqual(self.request(host, "/scim/v2/Users", self.server.demo_token).status, 401)
        # The path may name the same tenant, not another one.
        self.assertEqual(self.request(host, "/scim/v2/acme/Users", self.acme_token).status, 200)
        conflict = self.request(host, "/scim/v2/demo/Users", self.server.demo_token)
        self.assertEqual(conflict.status, 404, conflict.text)
        # Other hosts work as before.
        self.assertEqual(self.request("127.0.0.1", "/scim/v2/demo/Users", self.server.demo_token).status, 200)
        self.assertEqual(self.request("other.example", "/scim/v2/Users", self.acme_token).status, 200)

    def test_a_bad_tenant_domain_stops_the_start(self):
        result = run_cli("serve", "--listen", "127.0.0.1:0", data_dir=self.server.data_dir + "-bad",
                         env={"SCIMD_TENANT_DOMAIN": "https://scim.test"})
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("tenant_domain: expected a DNS name", result.stderr)
