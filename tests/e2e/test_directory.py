"""The directory the host app reads (issue 4 items 4-7, 11): enterprise manager links resolved by id,
userName, email or externalId (in the tenant's order), pending until the manager exists and
resolved when it is created or renamed; Okta's manager.Email; reports following a manager's
rename and deletion; and the host API's view of users, the org chart, departments and roles."""
from __future__ import annotations

from harness import Client, ServerTestCase, patch_op, q

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def user(user_name: str, manager=None, **extra) -> dict:
    body = {"schemas": [CORE_USER, ENTERPRISE], "userName": user_name,
            "emails": [{"value": user_name.replace("@", ".mail@"), "type": "work", "primary": True}],
            "active": True, **extra}
    if manager is not None:
        body[ENTERPRISE] = {"manager": manager}
    return body


class ManagerLinkTest(ServerTestCase):
    def create(self, client, body) -> dict:
        created = client.post("/Users", body)
        self.assertEqual(created.status, 201, created.text)
        return created.json

    def tenant_client(self, name: str) -> Client:
        self.server.cli("tenant", "create", name, check=True)
        client = self.server.client(self.server.issue_token(name), prefix=f"/scim/v2/{name}")
        self.addCleanup(client.close)
        return client

    def manager_of(self, client, user_id):
        return client.get(f"/Users/{user_id}").json.get(ENTERPRISE, {}).get("manager")

    def test_a_report_created_before_its_manager_is_resolved_when_the_manager_arrives(self):
        client = self.tenant_client("okta-order")
        report = self.create(client, user("rita@okta-order.example", {"value": "boss@okta-order.example"},
                                          displayName="Rita"))
        self.assertNotIn(ENTERPRISE, report, "a pending manager is not shown")
        boss = self.create(client, user("boss@okta-order.example", displayName="The Boss"))
        manager = self.manager_of(client, report["id"])
        self.assertEqual(manager["value"], boss["id"])
        self.assertEqual(manager["displayName"], "The Boss")
        self.assertTrue(manager["$ref"].endswith(f"/scim/v2/okta-order/Users/{boss['id']}"), manager)
        # The report's resolution is a change the app hears about.
        key = self.server.cli("apikey", "issue", "--tenant", "okta-order", check=True).stdout.strip().splitlines()[-1]
        feed = Client(self.server.port, "Bearer " + key, prefix="/api/v1/tenants/okta-order")
        self.addCleanup(feed.close)
        events = feed.get("/events?limit=1000").json["events"]
        updates = [e for e in events if e["type"].startswith("user.") and e["resource"]["id"] == report["id"]]
        self.assertEqual([e["type"] for e in updates][-1], "user.updated")

        # The manager's rename reaches the report; its deletion leaves the report waiting again.
        renamed = client.patch(f"/Users/{boss['id']}", patch_op({"op": "replace", "path": "displayName", "value": "Chief"}))
        self.assertEqual(renamed.status, 200, renamed.text)
        self.assertEqual(self.manager_of(client, report["id"])["displayName"], "Chief")
        self.assertEqual(client.delete(f"/Users/{boss['id']}").status, 204)
        self.assertIsNone(self.manager_of(client, report["id"]))
        again = self.create(client, user("BOSS@okta-order.example", displayName="New Boss"))
        self.assertEqual(self.manager_of(client, report["id"])["value"], again["id"])

    def test_each_kind_of_reference_and_the_tenants_order(self):
        client = self.tenant_client("refs")
        boss = self.create(client, user("ceo@refs.example", displayName="CEO", externalId="EMP-1"))
        by_id = self.create(client, user("a@refs.example", boss["id"]))  # Entra: the id, as a bare string
        by_name = self.create(client, user("b@refs.example", {"value": "CEO@refs.example"}))
        by_email = self.create(client, user("c@refs.example", {"value": "ceo.mail@refs.example"}))
        by_external = self.create(client, user("d@refs.example", {"value": "EMP-1"}))
        okta_email = self.create(client, user("e@refs.example", {"Email": "ceo.mail@refs.example"}))
        for report in (by_id, by_name, by_email, by_external, okta_email):
            self.assertEqual(report[ENTERPRISE]["manager"]["value"], boss["id"], report)

        # Only externalId: a userName reference now waits for a user with that externalId.
        self.server.cli("tenant", "set", "refs", "manager_match", "externalId", check=True)
        waiting = self.create(client, user("f@refs.example", {"value": "ceo@refs.example"}))
        self.assertNotIn(ENTERPRISE, waiting)
        self.assertEqual(self.create(client, user("g@refs.example", {"value": "EMP-1"}))[ENTERPRISE]["manager"]["value"],
                         boss["id"])
        # A PATCH names another manager; an unknown one makes the link pending (no manager shown).
        patched = client.patch(f"/Users/{by_id['id']}", patch_op(
            {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"value": "nobody-yet"}}))
        self.assertEqual(patched.status, 200, patched.text)
        self.assertNotIn(ENTERPRISE, patched.json)
        other = self.create(client, user("nobody@refs.example", externalId="nobody-yet"))
        self.assertEqual(self.manager_of(client, by_id["id"])["value"], other["id"])
        cleared = client.post("/Users", user("h@refs.example", {"value": ""}))  # Entra's empty manager: none
        self.assertEqual(cleared.status, 201, cleared.text)
        self.assertNotIn(ENTERPRISE, cleared.json)
        bad = self.server.cli("tenant", "set", "refs", "manager_match", "id,phone")
        self.assertEqual(bad.returncode, 2)

    def test_untouched_managers_survive_other_changes_and_put_without_one_removes_it(self):
        client = self.tenant_client("keep")
        boss = self.create(client, user("boss@keep.example", displayName="Boss"))
        report = self.create(client, user("r@keep.example", {"value": "boss@keep.example"}))
        client.patch(f"/Users/{report['id']}", patch_op({"op": "replace", "path": "title", "value": "Engineer"}))
        self.assertEqual(self.manager_of(client, report["id"])["value"], boss["id"])
        put = client.put(f"/Users/{report['id']}", user("r@keep.example"))
        self.assertEqual(put.status, 200, put.text)
        self.assertIsNone(self.manager_of(client, report["id"]))
        # No longer a report: renaming the former manager does not touch it.
        version = client.get(f"/Users/{report['id']}").json["meta"]["version"]
        client.patch(f"/Users/{boss['id']}", patch_op({"op": "replace", "path": "displayName", "value": "B2"}))
        self.assertEqual(client.get(f"/Users/{report['id']}").json["meta"]["version"], version)
