"""The audit log: every credential and admin action, from the CLI and from the OAuth server, with
who, what, when and from where, and never a secret; a refused action leaves no entry."""
from __future__ import annotations

import http.client
import json
import subprocess
import unittest
import urllib.parse

from harness import ServerTestCase, basic_authorization


class AuditTest(ServerTestCase):
    def cli(self, *args, check=True) -> subprocess.CompletedProcess:
        return self.server.cli(*args, check=check)

    def audit(self, *args) -> list[list[str]]:
        """The audit log's rows (newest first), split into columns; the detail is the rest of the line."""
        out = self.cli("audit", *args).stdout.strip().splitlines()
        self.assertTrue(out[0].startswith("TIME"))
        return [line.split(None, 6) for line in out[1:]]

    def test_cli_and_oauth_actions_are_recorded_without_secrets(self):
        secrets = []
        self.cli("tenant", "create", "audited")
        token = self.cli("token", "issue", "audited", "--label", "okta").stdout.strip().splitlines()[-1]
        secrets.append(token)
        token_id = self.cli("token", "list", "audited").stdout.strip().splitlines()[-1].split()[0]
        self.cli("token", "revoke", "audited", token_id)
        self.cli("tenant", "set", "audited", "rate_limit", "500")
        self.server.set_login("audited", "audited-admin", "A-long-password-1")
        secrets.append("A-long-password-1")
        key = self.cli("apikey", "issue", "--tenant", "audited").stdout.strip().splitlines()[-1]
        secrets.append(key)
        client_id, client_secret = self.server.create_oauth_client("--tenant", "audited")
        secrets.append(client_secret)

        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        connection.request("POST", "/oauth/token", body=urllib.parse.urlencode({"grant_type": "client_credentials"}),
                           headers={"Authorization": basic_authorization(client_id, client_secret),
                                    "Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        access_token = json.loads(response.read())["access_token"]
        connection.close()
        secrets.append(access_token)

        # A refused action leaves no entry.
        self.assertEqual(self.cli("token", "revoke", "audited", "tok_nosuch", check=False).returncode, 3)

        rows = self.audit("--tenant", "AUDITED")
        actions = [row[3] for row in rows]
        self.assertEqual(actions, ["oauth.token", "oauth_client.create", "apikey.issue", "login.set", "tenant.set",
                                   "token.revoke", "token.issue", "tenant.create"])
        by_action = {row[3]: row for row in rows}
        self.assertTrue(by_action["token.revoke"][1].startswith("cli:"))
        self.assertEqual(by_action["token.revoke"][2], "local")
        self.assertEqual(by_action["token.revoke"][5], token_id)
        self.assertEqual(by_action["oauth.token"][1], "oauth:" + client_id)
        self.assertEqual(by_action["oauth.token"][2], "127.0.0.1")
        self.assertIn('"grant_type":"client_credentials"', by_action["oauth.token"][6])
        self.assertIn('"rate_limit":"500"', by_action["tenant.set"][6])
        self.assertEqual(by_action["login.set"][5], "audited-admin")

        everything = self.cli("audit", "--limit", "1000").stdout
        for secret in secrets:
            self.assertNotIn(secret, everything)
        self.assertIn("demo", everything)  # other tenants' entries are there without --tenant
        self.assertEqual(len(self.audit("--limit", "2")), 2)
        # The history outlives the tenant.
        self.cli("tenant", "delete", "audited")
        rows = self.audit("--tenant", "audited")
        self.assertEqual(rows[0][3], "tenant.delete")
        self.assertEqual(len(rows), len(actions) + 1)


if __name__ == "__main__":
    unittest.main()
