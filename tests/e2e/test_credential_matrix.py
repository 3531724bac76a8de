"""Every kind of refused credential on every SCIM endpoint, on the tenant's URL and on the shared
one: revoked, expired and unknown bearer tokens; a wrong password over HTTP Basic; expired and
deleted-client OAuth access tokens; and on the tenant's URL another tenant's token, Basic login and
OAuth token. Each gets the same 401 with a SCIM error body, and no request changes anything. The valid credential of each kind works on every endpoint first, so the
401s are about the credential and nothing else."""
from __future__ import annotations

import http.client
import json
import os
import sqlite3
import unittest
import urllib.parse

from harness import ON_POSTGRES, SCIM_ERROR, Client, Server, new_user, patch_op
from harness import basic_authorization as basic

PASSWORD = "Matrix-Password-42"


@unittest.skipIf(ON_POSTGRES, "makes its expired credentials by editing the SQLite file")
class CredentialMatrixTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"SCIMD_AUTH_MAX_FAILURES": "0"}).start()  # no lockout: many refusals on purpose
        s = cls.server
        s.cli("tenant", "create", "other", check=True)
        for tenant, username in (("demo", "matrix-demo"), ("other", "matrix-other")):
            s.set_login(tenant, username, PASSWORD)
        cls.demo_token = s.demo_token
        cls.other_token = s.issue_token("other")
        revoked = s.cli("token", "issue", "demo", "--label", "to-revoke", check=True).stdout.strip().splitlines()[-1]
        revoked_id = next(l.split()[0] for l in s.cli("token", "list", "demo").stdout.splitlines() if " to-revoke " in l)
        s.cli("token", "revoke", "demo", revoked_id, check=True)
        expired = s.cli("token", "issue", "demo", "--expires", "30", "--label", "to-expire",
                        check=True).stdout.strip().splitlines()[-1]
        cls.demo_client = s.create_oauth_client("--tenant", "demo")
        cls.other_client = s.create_oauth_client("--tenant", "other")
        cls.doomed_client = s.create_oauth_client("--tenant", "demo")
        cls.demo_access = cls.access_token(cls.demo_client)
        other_access = cls.access_token(cls.other_client)
        deleted_client_access = cls.access_token(cls.doomed_client)
        expired_access = cls.access_token(cls.demo_client)
        s.cli("oauth", "client", "delete", cls.doomed_client[0], check=True)
        # Time passes: move two expiries into the past, as the clock would.
        db = sqlite3.connect(os.path.join(s.data_dir, "scimd.db"), timeout=10)
        with db:
            db.execute("UPDATE tokens SET expires = '2001-01-01T00:00:00.000Z' WHERE label = 'to-expire'")
            db.execute("UPDATE oauth_tokens SET expires = '2001-01-01T00:00:00.000Z' WHERE created = "
                       "(SELECT max(created) FROM oauth_tokens WHERE client_id = ?)", (cls.demo_client[0],))
        db.close()
        cls.valid = {"bearer": "Bearer " + cls.demo_token, "basic": basic("matrix-demo", PASSWORD),
                     "oauth": "Bearer " + cls.demo_access}
        cls.refused = {
            "revoked bearer token": "Bearer " + revoked,
            "expired bearer token": "Bearer " + expired,
            "another tenant's bearer token": "Bearer " + cls.other_token,
            "unknown bearer token": "Bearer scimd_" + "x" * 43,
            "Basic with a wrong password": basic("matrix-demo", "Wrong-Password-42"),
            "another tenant's Basic login": basic("matrix-other", PASSWORD),
            "expired OAuth token": "Bearer " + expired_access,
            "OAuth token of a deleted client": "Bearer " + deleted_client_access,
            "another tenant's OAuth token": "Bearer " + other_access,
        }
        # The resources the endpoints act on.
        admin = Client(s.port, "Bearer " + cls.demo_token)
        cls.user_id = admin.post("/Users", new_user("matrix.user@example.com")).json["id"]
        cls.group_id = admin.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                              "displayName": "Matrix group"}).json["id"]
        cls.before = cls.snapshot(admin)
        admin.close()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        cls.server.cleanup()
        assert code == 0, f"scimd exited {code}"

    @classmethod
    def access_token(cls, client: tuple[str, str]) -> str:
        connection = http.client.HTTPConnection("127.0.0.1", cls.server.port, timeout=30)
        connection.request("POST", "/oauth/token", body=urllib.parse.urlencode({"grant_type": "client_credentials"}),
                           headers={"Authorization": basic(*client), "Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        body = json.loads(response.read())
        connection.close()
        assert response.status == 200, body
        return body["access_token"]

    @staticmethod
    def snapshot(client: Client) -> tuple:
        users = client.get("/Users?count=1000").json["Resources"]
        groups = client.get("/Groups?count=1000").json["Resources"]
        return (sorted((u["id"], u["meta"]["version"]) for u in users),
                sorted((g["id"], g["meta"]["version"]) for g in groups))

    def endpoints(self):
        """(method, path, body) for every SCIM endpoint, with bodies that would change something."""
        uid, gid = self.user_id, self.group_id
        group_patch = patch_op({"op": "replace", "path": "displayName", "value": "Renamed"})
        return [
            ("GET", "/Users", None),
            ("GET", f"/Users/{uid}", None),
            ("GET", '/Users?filter=userName eq "matrix.user@example.com"', None),
            ("POST", "/Users/.search", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}),
            ("POST", "/Users", new_user("matrix.new@example.com")),
            ("PUT", f"/Users/{uid}", new_user("matrix.user@example.com", active=False)),
            ("PATCH", f"/Users/{uid}", patch_op({"op": "replace", "value": {"active": False}})),
            ("DELETE", f"/Users/{uid}", None),
            ("GET", "/Groups", None),
            ("GET", f"/Groups/{gid}", None),
            ("POST", "/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "New"}),
            ("PUT", f"/Groups/{gid}", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                       "displayName": "Replaced"}),
            ("PATCH", f"/Groups/{gid}", group_patch),
            ("DELETE", f"/Groups/{gid}", None),
            ("POST", "/Bulk", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "b1", "data": new_user("matrix.bulk@example.com")}]}),
            ("GET", "/ServiceProviderConfig", None),
            ("GET", "/ResourceTypes", None),
            ("GET", "/Schemas", None),
        ]

    def test_1_every_valid_kind_reads_every_endpoint(self):
        for kind, authorization in self.valid.items():
            client = Client(self.server.port, authorization)
            for method, path, body in self.endpoints():
                if method == "GET":
                    response = client.request(method, path)
                    self.assertEqual(response.status, 200, (kind, path, response.text))
            client.close()

    def test_2_every_refused_credential_gets_401_everywhere_and_changes_nothing(self):
        checked = 0
        for what, authorization in self.refused.items():
            # On the shared base URL another tenant's credential is simply that tenant's: it is
            # refused on demo's URL, and test_tenants.py shows it never reaches demo's data.
            prefixes = ("/scim/v2/demo",) if what.startswith("another tenant") else ("/scim/v2/demo", "/scim/v2")
            for prefix in prefixes:
                client = Client(self.server.port, authorization, prefix=prefix)
                for method, path, body in self.endpoints():
                    response = client.request(method, path, body)
                    self.assertEqual(response.status, 401, (what, prefix, method, path, response.text))
                    self.assertIn(SCIM_ERROR, response.json["schemas"])
                    self.assertEqual(response.json["status"], "401")
                    self.assertTrue(response.header("WWW-Authenticate"))
                    checked += 1
                client.close()
        foreign = sum(1 for what in self.refused if what.startswith("another tenant"))
        self.assertEqual(checked, (2 * len(self.refused) - foreign) * len(self.endpoints()))
        admin = Client(self.server.port, "Bearer " + self.demo_token)
        self.assertEqual(self.snapshot(admin), self.before, "a refused request changed the directory")
        self.assertEqual(admin.get('/Users?filter=userName sw "matrix.new"').json["totalResults"], 0)
        self.assertEqual(admin.get('/Users?filter=userName sw "matrix.bulk"').json["totalResults"], 0)
        admin.close()


if __name__ == "__main__":
    unittest.main()
