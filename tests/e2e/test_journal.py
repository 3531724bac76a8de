"""The provisioning journal: every SCIM request of a tenant, with what was answered and what it
changed, read through GET /api/v1/tenants/{tenant}/journal and `scimd journal`."""
from __future__ import annotations

import time
import unittest

from harness import Server, ServerTestCase, new_user, patch_op, q, wait_until


class JournalTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.server.cli("apikey", "issue", check=True).stdout.strip().splitlines()[-1]

    def setUp(self):
        super().setUp()
        self.host = self.server.client(self.key, prefix="/api/v1/tenants/demo")

    def tearDown(self):
        self.host.close()
        super().tearDown()

    def journal(self, **params) -> list[dict]:
        response = self.host.get(q("/journal", **params) if params else "/journal")
        self.assertEqual(response.status, 200, response.text)
        return response.json["entries"]

    def entry_for(self, predicate, **params) -> dict:
        """The newest entry matching `predicate`, waiting for the journal's flush."""
        found = []

        def look():
            found[:] = [e for e in self.journal(**params) if predicate(e)]
            return bool(found)

        self.assertTrue(wait_until(look, timeout=10), "the request reaches the journal")
        return found[0]

    def test_a_create_is_journaled_with_its_events_and_no_secret(self):
        body = new_user("journal@example.com", password="Hunter2!secret")
        created = self.scim.post("/Users", body, headers={"User-Agent": "Okta SCIM Client 1.0.0"})
        self.assertEqual(created.status, 201)
        uid = created.json["id"]
        entry = self.entry_for(lambda e: e["method"] == "POST" and e.get("resource", {}).get("id") == uid)
        self.assertEqual(entry["path"], "/scim/v2/demo/Users")
        self.assertEqual(entry["status"], 201)
        self.assertEqual(entry["idp"], "okta")
        self.assertTrue(entry["credential"].startswith("tok_"))
        self.assertEqual(entry["resource"], {"type": "User", "id": uid})
        self.assertEqual(entry["request"]["userName"], "journal@example.com")
        self.assertEqual(entry["request"]["password"], "[redacted]")
        self.assertNotIn("Hunter2", str(entry))
        self.assertGreaterEqual(entry["duration_ms"], 0)
        # The events it produced are the feed's.
        self.assertEqual(len(entry["events"]), 1)
        feed = self.host.get(q("/events", limit=1000)).json["events"]
        (event,) = [e for e in feed if e["id"] == entry["events"][0]]
        self.assertEqual(event["type"], "user.created")

    def test_refusals_say_why_and_change_nothing(self):
        self.assertEqual(self.scim.post("/Users", new_user("dup@example.com")).status, 201)
        dup = self.scim.post("/Users", new_user("DUP@example.com"))
        self.assertEqual(dup.status, 409)
        entry = self.entry_for(lambda e: e["status"] == 409 and "DUP@" in str(e.get("request")))
        self.assertEqual(entry["scimType"], "uniqueness")
        self.assertIn("already taken", entry["detail"])
        self.assertEqual(entry["events"], [])

        # An expired or wrong token, on the tenant's own URL, is journaled without its body.
        bad = self.server.client("scimd_not-a-real-token")
        self.assertEqual(bad.post("/Users", new_user("nobody@example.com")).status, 401)
        bad.close()
        entry = self.entry_for(lambda e: e["status"] == 401)
        self.assertEqual(entry["credential"], "")
        self.assertNotIn("request", entry)
        self.assertIn("not valid", entry["detail"])

    def test_lookups_keep_their_filter_and_quirks_are_noted(self):
        lookup = self.scim.get(q("/Users", filter='userName eq "lookup@example.com"', startIndex=1, count=1))
        self.assertEqual(lookup.status, 200)
        entry = self.entry_for(lambda e: "lookup%40example.com" in e["query"] or "lookup@example.com" in e["query"])
        self.assertEqual(entry["method"], "GET")
        uid = self.scim.post("/Users", new_user("quirky@example.com")).json["id"]
        entra = patch_op({"op": "Replace", "path": "active", "value": "False"})
        self.assertEqual(self.scim.patch(f"/Users/{uid}", entra).status, 200)
        entry = self.entry_for(lambda e: e["method"] == "PATCH", resource=uid)
        self.assertIn("quirks:", entry["note"])
        self.assertEqual(entry["idp"], "entra")
        self.assertEqual(len(entry["events"]), 1)

    def test_queries_by_resource_status_text_time_and_pages(self):
        uid = self.scim.post("/Users", new_user("query@example.com")).json["id"]
        for title in ("a", "b", "c"):
            self.scim.patch(f"/Users/{uid}", patch_op({"op": "replace", "path": "title", "value": title}))
        self.scim.get("/Users/does-not-exist")
        # This request's own 404 (another test's may be in the journal too): it was queued last, so
        # once it is written every entry before it is.
        self.entry_for(lambda e: e["status"] == 404 and e["path"].endswith("/does-not-exist"))
        about = self.entry_for(lambda e: e["method"] == "PATCH", resource=uid)
        self.assertEqual(about["resource"]["id"], uid)
        entries = self.journal(resource=uid)
        self.assertEqual([e["method"] for e in entries], ["PATCH", "PATCH", "PATCH", "POST"], "newest first")

        for status in ("404", "4xx", "error"):
            found = self.journal(status=status)
            self.assertTrue(found, status)
            self.assertTrue(all(e["status"] >= 400 for e in found), status)
        self.assertTrue(all(e["status"] < 300 for e in self.journal(status="2xx")))
        self.assertTrue(self.journal(q="QUERY@EXAMPLE"), "text search ignores case")
        self.assertEqual(self.journal(q="%_%_nothing-like-this"), [], "LIKE wildcards are literal")
        first = self.journal(resource=uid)[-1]["time"]
        self.assertEqual(len(self.journal(resource=uid, since=first)), 4)
        self.assertEqual(self.journal(resource=uid, until=first), [])

        page = self.host.get(q("/journal", resource=uid, limit=2)).json
        self.assertEqual(len(page["entries"]), 2)
        rest = self.journal(resource=uid, before=page["next_before"])
        self.assertEqual(len(rest), 2)
        self.assertTrue(all(int(e["seq"]) < int(page["next_before"]) for e in rest))

        for params, word in ((dict(status="nope"), "status"), (dict(since="yesterday"), "since"),
                             (dict(limit=0), "limit"), (dict(colour="red"), "colour")):
            response = self.host.get(q("/journal", **params))
            self.assertScimError(response, 400)
            self.assertIn(word, response.json["detail"])

    def test_cli_prints_the_journal(self):
        self.scim.get("/Users/cli-missing")
        self.entry_for(lambda e: e["path"].endswith("/cli-missing"))
        result = self.server.cli("journal", "demo", "--errors", "--limit", "5", check=True)
        lines = result.stdout.splitlines()
        self.assertTrue(lines[0].startswith("TIME"))
        self.assertTrue(any("/cli-missing" in line and " 404 " in line for line in lines[1:]), result.stdout)
        self.assertTrue(all(int(line.split()[4]) >= 400 for line in lines[1:]), result.stdout)
        grep = self.server.cli("journal", "demo", "--grep", "cli-missing", check=True).stdout.splitlines()
        self.assertEqual(len(grep), 2, grep)
        self.assertEqual(self.server.cli("journal", "nope").returncode, 3)


class JournalWithoutReadsTest(unittest.TestCase):
    def test_journal_reads_false_keeps_changes_and_refusals_only(self):
        server = Server(env={"SCIMD_JOURNAL_READS": "false"}).start()
        try:
            key = server.cli("apikey", "issue", check=True).stdout.strip().splitlines()[-1]
            scim, host = server.client(), server.client(key, prefix="/api/v1/tenants/demo")
            uid = scim.post("/Users", new_user("reads@example.com")).json["id"]
            self.assertEqual(scim.get(f"/Users/{uid}").status, 200)
            self.assertEqual(scim.get(q("/Users", filter='userName eq "reads@example.com"')).status, 200)
            self.assertEqual(scim.get("/Users/missing").status, 404)
            self.assertEqual(scim.patch(f"/Users/{uid}", patch_op({"op": "replace", "path": "title", "value": "x"})).status, 200)
            entries = []

            def look():
                entries[:] = host.get("/journal").json["entries"]
                return len(entries) >= 3

            self.assertTrue(wait_until(look))
            time.sleep(0.3)  # one more flush: nothing else arrives
            look()
            self.assertEqual([(e["method"], e["status"]) for e in entries], [("PATCH", 200), ("GET", 404), ("POST", 201)])
            scim.close()
            host.close()
        finally:
            self.assertEqual(server.stop(), 0)
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
