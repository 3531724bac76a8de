"""Change events: what each SCIM write puts in the outbox, read back through the host API's feed
(GET /api/v1/tenants/{tenant}/events) with a host API key, and through `scimd events tail`."""
from __future__ import annotations

import json
import subprocess
import threading
import time
import unittest

from harness import (BINARY, ENTERPRISE, GROUP_SCHEMA, ServerTestCase, cli_env, new_user, patch_op, q,
                     wait_until)


class EventsTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        result = cls.server.cli("apikey", "issue", "--label", "e2e", check=True)
        cls.key = result.stdout.strip().splitlines()[-1]

    def setUp(self):
        super().setUp()
        self.host = self.server.client(self.key, prefix="/api/v1/tenants/demo")
        self.cursor = self.latest_cursor()

    def tearDown(self):
        self.host.close()
        super().tearDown()

    def latest_cursor(self) -> str:
        cursor = ""
        while True:
            page = self.host.get(q("/events", after=cursor, limit=1000))
            self.assertEqual(page.status, 200, page.text)
            if not page.json["events"]:
                return page.json["next_cursor"]
            cursor = page.json["next_cursor"]

    def new_events(self) -> list[dict]:
        """The events since the last call (or since setUp)."""
        page = self.host.get(q("/events", after=self.cursor))
        self.assertEqual(page.status, 200, page.text)
        self.assertIn("application/json", page.header("Content-Type"))
        self.cursor = page.json["next_cursor"]
        return page.json["events"]

    def create_user(self, name: str, **extra) -> dict:
        created = self.scim.post("/Users", new_user(name, **extra))
        self.assertEqual(created.status, 201, created.text)
        return created.json

    def test_user_lifecycle_is_told_as_what_happened(self):
        user = self.create_user("life@example.com", title="Engineer")
        uid = user["id"]
        # Okta's deactivation, a path-less replace, and Entra's capitalised string.
        self.assertEqual(self.scim.patch(f"/Users/{uid}", patch_op({"op": "replace", "value": {"active": False}})).status, 200)
        self.assertEqual(self.scim.patch(f"/Users/{uid}", patch_op({"op": "Replace", "path": "active", "value": "True"})).status, 200)
        self.assertEqual(self.scim.patch(f"/Users/{uid}", patch_op({"op": "replace", "path": "title", "value": "Manager"})).status, 200)
        self.assertEqual(self.scim.delete(f"/Users/{uid}").status, 204)

        events = self.new_events()
        self.assertEqual([e["type"] for e in events],
                         ["user.created", "user.deactivated", "user.reactivated", "user.updated", "user.deleted"])
        cursors = [int(e["cursor"]) for e in events]
        self.assertEqual(cursors, sorted(cursors))
        self.assertEqual(len({e["id"] for e in events}), 5, "each event has its own stable id")
        for event in events:
            self.assertEqual(event["tenant"], "demo")
            self.assertEqual(event["resource"], {"type": "User", "id": uid})
            self.assertTrue(event["id"].startswith("evt_"))
            self.assertRegex(event["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertEqual(event["data"]["id"], uid, "each event carries the resource")
            self.assertNotIn("password", json.dumps(event))
        created, deactivated, reactivated, updated, deleted = events
        self.assertEqual(created["data"]["userName"], "life@example.com")
        self.assertEqual(created["data"]["meta"]["version"], user["meta"]["version"])
        self.assertEqual(deactivated["changes"], [{"attribute": "active", "previous": True, "value": False}])
        self.assertIs(deactivated["data"]["active"], False)
        self.assertEqual(reactivated["changes"], [{"attribute": "active", "previous": False, "value": True}])
        self.assertEqual(updated["changes"], [{"attribute": "title", "previous": "Engineer", "value": "Manager"}])
        self.assertEqual(deleted["data"]["title"], "Manager", "a deleted event carries the resource as it was")

    def test_a_request_that_changes_nothing_emits_nothing(self):
        user = self.create_user("same@example.com", title="Engineer")
        group = self.scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Same"}).json
        self.new_events()
        # Okta re-sends the group name with every membership change, and re-deactivates.
        same_name = patch_op({"op": "replace", "value": {"id": group["id"], "displayName": "Same"}})
        self.assertEqual(self.scim.patch(f"/Groups/{group['id']}", same_name).status, 204)
        self.assertEqual(self.scim.patch(f"/Users/{user['id']}", patch_op({"op": "replace", "path": "title", "value": "Engineer"})).status, 200)
        self.assertEqual(self.scim.put(f"/Users/{user['id']}", new_user("same@example.com", title="Engineer")).status, 200)
        remove_absent = patch_op({"op": "remove", "path": f'members[value eq "{user["id"]}"]'})
        self.assertEqual(self.scim.patch(f"/Groups/{group['id']}", remove_absent).status, 204)
        self.assertEqual(self.new_events(), [])

    def test_put_reports_each_changed_attribute_with_its_previous_value(self):
        user = self.create_user("put@example.com", title="Engineer", nickName="P")
        self.new_events()
        body = new_user("put@example.com", title="Architect")
        body[ENTERPRISE] = {"department": "R&D"}
        body["password"] = "n3w-Secret!"  # dropped: by default passwords are not stored
        replaced = self.scim.put(f"/Users/{user['id']}", body)
        self.assertEqual(replaced.status, 200, replaced.text)
        (event,) = self.new_events()
        self.assertEqual(event["type"], "user.updated")
        changes = {c["attribute"]: c for c in event["changes"]}
        self.assertEqual(changes["title"], {"attribute": "title", "previous": "Engineer", "value": "Architect"})
        self.assertEqual(changes["nickName"], {"attribute": "nickName", "previous": "P", "value": None})
        self.assertEqual(changes[f"{ENTERPRISE}:department"]["value"], "R&D")
        self.assertNotIn("password", changes)
        self.assertNotIn("n3w-Secret!", json.dumps(event))

        # A tenant that stores passwords reports a password change, without its value.
        self.server.cli("tenant", "set", "demo", "passwords", "store", check=True)
        try:
            self.assertEqual(self.scim.put(f"/Users/{user['id']}", body).status, 200)
        finally:
            self.server.cli("tenant", "set", "demo", "passwords", "server", check=True)
        (event,) = self.new_events()
        self.assertEqual(event["changes"], [{"attribute": "password"}], "a password change shows no value")
        self.assertNotIn("n3w-Secret!", json.dumps(event))
        # With passwords ignored, sending one again changes nothing at all.
        self.assertEqual(self.scim.put(f"/Users/{user['id']}", body).status, 200)
        self.assertEqual(self.new_events(), [])

    def test_group_events_name_members_renames_and_deletes(self):
        a = self.create_user("ga@example.com")["id"]
        b = self.create_user("gb@example.com")["id"]
        self.new_events()
        group = self.scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Eng", "members": [{"value": a}]})
        self.assertEqual(group.status, 201, group.text)
        gid = group.json["id"]
        add_b = patch_op({"op": "add", "path": "members", "value": [{"value": b}, {"value": a}]})
        self.assertEqual(self.scim.patch(f"/Groups/{gid}", add_b).status, 204)
        rename = patch_op({"op": "replace", "path": "displayName", "value": "Engineering"})
        self.assertEqual(self.scim.patch(f"/Groups/{gid}", rename).status, 204)
        remove_a = patch_op({"op": "remove", "path": f'members[value eq "{a}"]'})
        self.assertEqual(self.scim.patch(f"/Groups/{gid}", remove_a).status, 204)
        self.assertEqual(self.scim.delete(f"/Users/{b}").status, 204)
        self.assertEqual(self.scim.delete(f"/Groups/{gid}").status, 204)

        events = self.new_events()
        summary = [(e["type"], e["resource"]["id"], e.get("member", {}).get("value")) for e in events]
        self.assertEqual(summary, [
            ("group.created", gid, None),
            ("group.member_added", gid, a),
            ("group.member_added", gid, b),  # a was already a member: no event
            ("group.renamed", gid, None),
            ("group.member_removed", gid, a),
            ("user.deleted", b, None),
            ("group.member_removed", gid, b),  # b left the group by being deleted
            ("group.deleted", gid, None),
        ])
        self.assertEqual(events[1]["member"], {"value": a, "type": "User"})
        self.assertEqual(events[3]["changes"], [{"attribute": "displayName", "previous": "Eng", "value": "Engineering"}])
        self.assertEqual(events[3]["data"]["displayName"], "Engineering")
        self.assertNotIn("members", events[2]["data"], "member events name the member, not the whole list")

    def test_failed_writes_leave_no_event(self):
        self.create_user("taken@example.com")
        self.new_events()
        self.assertEqual(self.scim.post("/Users", new_user("TAKEN@example.com")).status, 409)
        self.assertEqual(self.scim.post("/Users", {"schemas": [], "userName": 7}).status, 400)
        self.assertEqual(self.scim.patch("/Users/nope", patch_op({"op": "replace", "path": "title", "value": "x"})).status, 404)
        self.assertEqual(self.new_events(), [])

    def test_initial_sync_window_flags_events(self):
        self.server.cli("tenant", "set", "demo", "initial_sync", "on", check=True)
        try:
            self.create_user("sync1@example.com")
        finally:
            self.server.cli("tenant", "set", "demo", "initial_sync", "off", check=True)
        self.create_user("sync2@example.com")
        first, second = self.new_events()
        self.assertIs(first["initial_sync"], True)
        self.assertNotIn("initial_sync", second)

    def test_pages_resume_without_gaps_or_repeats(self):
        for i in range(7):
            self.create_user(f"page{i}@example.com")
        seen = []
        cursor = self.cursor
        while True:
            page = self.host.get(q("/events", after=cursor, limit=3)).json
            if not page["events"]:
                break
            self.assertLessEqual(len(page["events"]), 3)
            seen += [e["data"]["userName"] for e in page["events"]]
            cursor = page["next_cursor"]
        self.assertEqual(seen, [f"page{i}@example.com" for i in range(7)])

    def test_long_poll_answers_when_an_event_arrives(self):
        result = {}

        def poll():
            client = self.server.client(self.key, prefix="/api/v1/tenants/demo")
            started = time.monotonic()
            result["response"] = client.get(q("/events", after=self.cursor, wait=20))
            result["waited"] = time.monotonic() - started
            client.close()

        poller = threading.Thread(target=poll)
        poller.start()
        time.sleep(0.5)
        self.assertTrue(poller.is_alive(), "with nothing new the request waits")
        self.create_user("poll@example.com")
        poller.join(15)
        self.assertFalse(poller.is_alive())
        response = result["response"]
        self.assertEqual(response.status, 200, response.text)
        self.assertEqual([e["type"] for e in response.json["events"]], ["user.created"])
        self.assertLess(result["waited"], 15)

        # With nothing new, the wait ends empty and the cursor stays.
        empty = self.host.get(q("/events", after=response.json["next_cursor"], wait=1))
        self.assertEqual(empty.json, {"events": [], "next_cursor": response.json["next_cursor"]})

    def test_bad_feed_parameters_are_refused(self):
        for query, word in ((dict(after="abc"), "after"), (dict(limit=0), "limit"), (dict(limit=5000), "limit"),
                            (dict(wait=31), "wait"), (dict(colour="red"), "colour")):
            response = self.host.get(q("/events", **query))
            self.assertScimError(response, 400)
            self.assertIn(word, response.json["detail"])

    def once(self, token, prefix, path):
        client = self.server.client(token, prefix=prefix) if token else self.server.client("", prefix=prefix, scheme="")
        try:
            return client.get(path)
        finally:
            client.close()

    def test_keys_are_checked_and_scoped(self):
        self.server.cli("tenant", "create", "other", check=True)
        other_key = self.server.cli("apikey", "issue", "--tenant", "other", check=True).stdout.strip().splitlines()[-1]
        scoped = self.server.client(other_key, prefix="/api/v1/tenants")
        self.assertEqual(scoped.get("/other/events").status, 200)
        self.assertScimError(scoped.get("/demo/events"), 404)  # not this key's tenant: as if absent
        self.assertScimError(self.once(self.key, "/api/v1/tenants", "/nope/events"), 404)
        # A SCIM token is not a host API key, and a key is not a SCIM token.
        self.assertScimError(self.once(self.server.demo_token, "/api/v1/tenants/demo", "/events"), 401)
        self.assertScimError(self.once(self.key, "/scim/v2/demo", "/Users"), 401)
        self.assertScimError(self.once(None, "/api/v1/tenants/demo", "/events"), 401)
        # Revoked keys stop working at once.
        key_id = next(line.split()[0] for line in self.server.cli("apikey", "list", check=True).stdout.splitlines()
                      if line.split()[1] == "other")
        self.server.cli("apikey", "revoke", key_id, check=True)
        self.assertScimError(scoped.get("/other/events"), 401)
        self.assertEqual(self.server.cli("apikey", "revoke", "key_nope").returncode, 3)
        listing = self.server.cli("apikey", "list", check=True).stdout
        self.assertIn("revoked", listing)
        self.assertNotIn(other_key, listing, "secrets are never listed")
        scoped.close()

    def test_events_tail_prints_and_follows(self):
        self.create_user("tail1@example.com")
        tail = subprocess.Popen([BINARY, "events", "tail", "demo", "--after", self.cursor, "--data", self.server.data_dir],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                                env=cli_env(self.server.data_dir))
        try:
            lines: list[dict] = []

            def read():
                for line in tail.stdout:
                    lines.append(json.loads(line))

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            self.assertTrue(wait_until(lambda: len(lines) >= 1), "the existing event is printed")
            self.create_user("tail2@example.com")
            self.assertTrue(wait_until(lambda: len(lines) >= 2), "a new event is followed")
            self.assertEqual([e["data"]["userName"] for e in lines], ["tail1@example.com", "tail2@example.com"])
            self.assertTrue(all("cursor" in e for e in lines))
        finally:
            tail.terminate()
            code = tail.wait(10)
            tail.stdout.close()
            tail.stderr.close()
        self.assertEqual(code, 0)
        bad = self.server.cli("events", "tail", "demo", "--after", "x")
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--after", bad.stderr)
        self.assertEqual(self.server.cli("events", "tail", "nope").returncode, 3)


if __name__ == "__main__":
    unittest.main()
