"""The directory the host app reads (issue 4 items 4-7, 11): enterprise manager links resolved by id,
userName, email or externalId (in the tenant's order), pending until the manager exists and
resolved when it is created or renamed; Okta's manager.Email; reports following a manager's
rename and deletion; and the host API's view of users, the org chart, departments and roles."""
from __future__ import annotations

from harness import Client, ServerTestCase, patch_op, q, wait_until

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
        self.assertEqual(report[ENTERPRISE]["manager"], {"value": "boss@okta-order.example"},
                         "a pending manager is shown as sent, without displayName or $ref")
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
        self.assertEqual(self.manager_of(client, report["id"]), {"value": "boss@okta-order.example"})
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
        self.assertEqual(waiting[ENTERPRISE]["manager"], {"value": "ceo@refs.example"})
        self.assertEqual(self.create(client, user("g@refs.example", {"value": "EMP-1"}))[ENTERPRISE]["manager"]["value"],
                         boss["id"])
        # A PATCH names another manager; an unknown one makes the link pending (no manager shown).
        patched = client.patch(f"/Users/{by_id['id']}", patch_op(
            {"op": "replace", "path": f"{ENTERPRISE}:manager", "value": {"value": "nobody-yet"}}))
        self.assertEqual(patched.status, 200, patched.text)
        self.assertEqual(patched.json[ENTERPRISE]["manager"], {"value": "nobody-yet"})
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


CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


class DirectoryViewTest(ServerTestCase):
    """The host API's view of a tenant's directory."""

    def setUp(self):
        super().setUp()
        self.name = "org-" + self.id().rsplit(".", 1)[-1][-12:].replace("_", "-")
        self.server.cli("tenant", "create", self.name, check=True)
        self.idp = self.server.client(self.server.issue_token(self.name), prefix=f"/scim/v2/{self.name}")
        key = self.server.cli("apikey", "issue", "--tenant", self.name, check=True).stdout.strip().splitlines()[-1]
        self.app = Client(self.server.port, "Bearer " + key, prefix=f"/api/v1/tenants/{self.name}")
        self.addCleanup(self.idp.close)
        self.addCleanup(self.app.close)

    def create(self, path, body) -> dict:
        created = self.idp.post(path, body)
        self.assertEqual(created.status, 201, created.text)
        return created.json

    def person(self, login, manager=None, department=None, **extra) -> dict:
        body = user(f"{login}@{self.name}.example", {"value": f"{manager}@{self.name}.example"} if manager else None,
                    displayName=login.upper(), **extra)
        if department:
            body.setdefault(ENTERPRISE, {})["department"] = department
        return self.create("/Users", body)

    def group(self, name, members=(), **extra) -> dict:
        return self.create("/Groups", {"schemas": [CORE_GROUP], "displayName": name,
                                       "members": [{"value": m["id"]} for m in members], **extra})

    def test_users_carry_manager_departments_groups_and_effective_roles(self):
        with open(self.server.data_dir + "/group-role.json", "w") as f:
            f.write('{"id": "%s", "attributes": [{"name": "role", "type": "string"}]}' % CORE_GROUP)
        self.server.cli("schema", "apply", self.name, self.server.data_dir + "/group-role.json", check=True)
        ceo = self.person("ceo", department="Board")
        vp = self.person("vp", "ceo", "Engineering")
        eng1 = self.person("eng1", "vp", "Engineering", roles=[{"value": "viewer"}])
        eng2 = self.person("eng2", "vp", "Engineering")
        admins = self.group("Admins", [eng1], role="ADMIN")

        listed = self.app.get("/users?count=10")
        self.assertEqual(listed.status, 200, listed.text)
        self.assertEqual(listed.json["totalResults"], 4)
        by_id = {u["id"]: u for u in listed.json["users"]}
        first = by_id[eng1["id"]]
        self.assertEqual(first["manager"], {"id": vp["id"], "displayName": "VP"})
        self.assertEqual([d["name"] for d in first["departments"]], ["Engineering"])
        self.assertEqual(first["groups"], [{"id": admins["id"], "displayName": "Admins"}])
        self.assertEqual(first["roles"], ["ADMIN", "viewer"])
        self.assertEqual(first["resource"]["userName"], f"eng1@{self.name}.example")
        self.assertIsNone(by_id[ceo["id"]]["manager"])
        one = self.app.get(q("/users", filter=f'userName eq "eng2@{self.name}.example"')).json
        self.assertEqual([u["id"] for u in one["users"]], [eng2["id"]])
        self.assertScimError(self.app.get(q("/users", filter="userName eq")), 400, "invalidFilter")
        paged = self.app.get("/users?count=3&cursor=").json
        self.assertEqual(len(paged["users"]), 3)
        rest = self.app.get(q("/users", count=3, cursor=paged["next_cursor"])).json
        self.assertEqual(len(rest["users"]), 1)

        detail = self.app.get(f"/users/{eng1['id']}").json
        self.assertEqual(detail["chain"], [vp["id"], ceo["id"]])
        self.assertFalse(detail["chain_has_cycle"])
        self.assertEqual(sorted(self.app.get(f"/users/{vp['id']}").json["reports"]), sorted([eng1["id"], eng2["id"]]))
        self.assertScimError(self.app.get("/users/nosuch"), 404)

        chart = self.app.get("/orgchart").json
        self.assertEqual(chart["cycles"], [])
        [root] = chart["roots"]
        self.assertEqual(root["id"], ceo["id"])
        self.assertEqual([r["id"] for r in root["reports"]], [vp["id"]])
        self.assertEqual(sorted(r["id"] for r in root["reports"][0]["reports"]), sorted([eng1["id"], eng2["id"]]))

        # A group's role reaches its members at once, and leaves with them.
        self.idp.patch(f"/Groups/{admins['id']}", patch_op({"op": "replace", "path": "role", "value": "SUPERADMIN"}))
        self.assertEqual(self.app.get(f"/users/{eng1['id']}").json["roles"], ["SUPERADMIN", "viewer"])
        self.idp.patch(f"/Groups/{admins['id']}", patch_op({"op": "add", "path": "members", "value": [{"value": eng2["id"]}]}))
        self.assertEqual(self.app.get(f"/users/{eng2['id']}").json["roles"], ["SUPERADMIN"])
        self.idp.patch(f"/Groups/{admins['id']}", patch_op(
            {"op": "remove", "path": f'members[value eq "{eng1["id"]}"]'}))
        self.assertEqual(self.app.get(f"/users/{eng1['id']}").json["roles"], ["viewer"])

    def test_cycles_are_reported_not_followed(self):
        a = self.person("a", "b")  # b does not exist yet: pending
        b = self.person("b", "a")  # resolves a -> b and b -> a
        detail = self.app.get(f"/users/{a['id']}").json
        self.assertEqual(detail["chain"], [b["id"]])
        self.assertTrue(detail["chain_has_cycle"])
        chart = self.app.get("/orgchart").json
        self.assertEqual(chart["cycles"], [sorted([a["id"], b["id"]])])
        self.assertEqual(len(chart["roots"]), 1)

    def test_departments_from_the_attribute_and_from_pushed_groups(self):
        eng1 = self.person("eng1", department="Engineering")
        eng2 = self.person("eng2", department="engineering")
        sales = self.person("sal1", department="Sales")
        platform = self.group("Platform", [eng1, sales])  # pushed before groups count as departments
        listed = self.app.get("/departments").json["departments"]
        self.assertEqual([(d["name"], d["users"], d["source"]) for d in listed],
                         [("Engineering", 2, "attribute"), ("Sales", 1, "attribute")])

        self.server.cli("tenant", "set", self.name, "groups_as_departments", "true", check=True)
        listed = {d["name"]: d for d in self.app.get("/departments").json["departments"]}
        self.assertEqual(listed["Platform"]["id"], platform["id"])
        self.assertEqual(listed["Platform"]["users"], 2)
        members = self.app.get(f"/departments/{platform['id']}").json["users"]
        self.assertEqual(sorted(m["id"] for m in members), sorted([eng1["id"], sales["id"]]))
        self.assertEqual(sorted(d["name"] for d in self.app.get(f"/users/{eng1['id']}").json["departments"]),
                         ["Engineering", "Platform"])

        # Renaming the group renames the department: same id, no second one.
        self.idp.patch(f"/Groups/{platform['id']}", patch_op({"op": "replace", "path": "displayName", "value": "Platform Eng"}))
        listed = {d["name"]: d for d in self.app.get("/departments").json["departments"]}
        self.assertNotIn("Platform", listed)
        self.assertEqual(listed["Platform Eng"]["id"], platform["id"])
        # A group named like a department value is that department.
        engineering = self.group("ENGINEERING", [])
        listed = {d["name"].lower(): d for d in self.app.get("/departments").json["departments"]}
        self.assertEqual(listed["engineering"]["id"], engineering["id"])
        self.assertEqual(listed["engineering"]["users"], 2)
        self.assertEqual(len([d for d in listed if d == "engineering"]), 1)
        self.assertScimError(self.app.get("/departments/dept_nosuch"), 404)
        self.assertEqual(eng2["id"] in [u["id"] for u in self.app.get(f"/departments/{engineering['id']}").json["users"]], True)


class ProvisioningPolicyTest(ServerTestCase):
    """Per-tenant safety: an email-domain allow-list, and a dry run for a new connection."""

    def tenant(self, name):
        self.server.cli("tenant", "create", name, check=True)
        client = self.server.client(self.server.issue_token(name), prefix=f"/scim/v2/{name}")
        self.addCleanup(client.close)
        return client

    def test_email_domains_refuse_addresses_elsewhere(self):
        client = self.tenant("domains")
        self.server.cli("tenant", "set", "domains", "email_domains", "acme.com, Acme.co.uk", check=True)
        self.assertEqual(client.post("/Users", user("ann@acme.com")).status, 201)
        self.assertEqual(client.post("/Users", user("bob@eu.acme.com")).status, 201)  # below a listed domain
        self.assertEqual(client.post("/Users", user("cid@ACME.CO.UK")).status, 201)
        refused = client.post("/Users", user("eve@evil.example"))
        self.assertScimError(refused, 400, "invalidValue")
        self.assertIn("acme.com, acme.co.uk", refused.json["detail"])
        self.assertIn("eve@evil.example", refused.json["detail"])
        uid = client.get(q("/Users", filter='userName eq "ann@acme.com"')).json["Resources"][0]["id"]
        sneaky = client.patch(f"/Users/{uid}", patch_op({"op": "add", "path": "emails",
                                                          "value": [{"value": "ann@gmail.com", "type": "home"}]}))
        self.assertScimError(sneaky, 400, "invalidValue")
        self.assertNotIn("gmail", client.get(f"/Users/{uid}").text)
        self.assertEqual(self.server.cli("tenant", "set", "domains", "email_domains", "not a domain").returncode, 2)
        self.server.cli("tenant", "set", "domains", "email_domains", "any", check=True)
        self.assertEqual(client.post("/Users", user("eve@evil.example")).status, 201)

    def test_a_dry_run_answers_as_if_applied_writes_nothing_and_journals_it(self):
        client = self.tenant("trial")
        existing = client.post("/Users", user("kept@trial.example"))
        self.assertEqual(existing.status, 201)
        self.server.cli("tenant", "set", "trial", "dry_run", "true", check=True)
        created = client.post("/Users", user("new@trial.example"))
        self.assertEqual(created.status, 201, created.text)
        self.assertEqual(created.header("Scimd-Dry-Run"), "true")
        self.assertEqual(created.json["userName"], "new@trial.example")
        self.assertScimError(client.get(f"/Users/{created.json['id']}"), 404)
        # What the database would refuse is refused, as it would be.
        self.assertScimError(client.post("/Users", user("KEPT@trial.example")), 409, "uniqueness")
        patched = client.patch(f"/Users/{existing.json['id']}", patch_op({"op": "replace", "path": "active", "value": False}))
        self.assertEqual(patched.status, 200, patched.text)
        self.assertIs(patched.json["active"], False)
        self.assertEqual(client.delete(f"/Users/{existing.json['id']}").status, 204)
        kept = client.get(f"/Users/{existing.json['id']}")
        self.assertEqual(kept.status, 200)
        self.assertIs(kept.json["active"], True)
        self.assertEqual(client.get("/Users").json["totalResults"], 1)
        # The journal is written in batches (every 100 ms): wait for the dry-run entries.
        self.assertTrue(wait_until(
            lambda: "dry run" in self.server.cli("journal", "trial", "--limit", "10", check=True).stdout))
        key = self.server.cli("apikey", "issue", "--tenant", "trial", check=True).stdout.strip().splitlines()[-1]
        feed = Client(self.server.port, "Bearer " + key, prefix="/api/v1/tenants/trial")
        self.addCleanup(feed.close)
        self.assertEqual(len(feed.get("/events").json["events"]), 1, "only the create before the dry run")
        self.server.cli("tenant", "set", "trial", "dry_run", "false", check=True)
        self.assertEqual(client.post("/Users", user("new@trial.example")).status, 201)
        self.assertEqual(client.get("/Users").json["totalResults"], 2)

    def test_a_deleted_user_created_again_comes_back_under_its_id(self):
        client = self.tenant("reactivate")
        self.server.cli("operator", "create", "tomb-op", input="Tombstone-operator-1\n", check=True)
        key = self.server.cli("operator", "key", "tomb-op", check=True).stdout.strip().splitlines()[-1]
        admin = Client(self.server.port, "Bearer " + key, prefix="/api/v1/admin/tenants/reactivate")
        self.addCleanup(admin.close)
        first = client.post("/Users", user("back@reactivate.example", externalId="00u-back")).json
        self.assertEqual(client.delete(f"/Users/{first['id']}").status, 204)
        [tombstone] = admin.get("/tombstones").json["tombstones"]
        self.assertEqual((tombstone["id"], tombstone["externalId"], tombstone["document"]), (first["id"], "00u-back", None))
        # Okta reactivates a user deleted here by creating it again.
        again = client.post("/Users", user("back@reactivate.example", externalId="00u-back"))
        self.assertEqual(again.status, 201, again.text)
        self.assertEqual(again.json["id"], first["id"])
        self.assertEqual(again.json["meta"]["created"], first["meta"]["created"])
        self.assertEqual(admin.get("/tombstones").json["tombstones"], [])

        # Soft deletes keep the document for the retention period; a new user is a new id.
        self.server.cli("tenant", "set", "reactivate", "delete_mode", "soft", check=True)
        self.server.cli("tenant", "set", "reactivate", "delete_retention_days", "7", check=True)
        self.assertEqual(client.delete(f"/Users/{first['id']}").status, 204)
        self.assertScimError(client.get(f"/Users/{first['id']}"), 404)
        self.assertEqual(client.get(q("/Users", filter='userName eq "back@reactivate.example"')).json["totalResults"], 0)
        [soft] = admin.get("/tombstones").json["tombstones"]
        self.assertEqual(soft["document"]["userName"], "back@reactivate.example")
        self.assertGreater(soft["purge_after"], soft["deleted"])
        # Only the IdP's id says it is the same person: a recycled userName gets a new id.
        by_name = client.post("/Users", user("back@reactivate.example", externalId="00u-someone-new"))
        self.assertEqual(by_name.status, 201, by_name.text)
        self.assertNotEqual(by_name.json["id"], first["id"])
        self.assertEqual(len(admin.get("/tombstones").json["tombstones"]), 1, "the old one still waits")
        self.assertEqual(self.server.cli("tenant", "set", "reactivate", "delete_retention_days", "0").returncode, 2)

    def test_okta_sees_the_enumerated_roles_as_a_resource_type(self):
        client = self.tenant("entitled")
        with open(self.server.data_dir + "/roles.json", "w") as f:
            f.write('{"id": "%s", "attributes": [{"name": "role", "type": "string", '
                    '"canonicalValues": ["DISTRIBUTOR_ADMIN", "RESELLER_VIEWER"]}]}' % CORE_USER)
        self.server.cli("schema", "apply", "entitled", self.server.data_dir + "/roles.json", check=True)
        self.assertNotIn("Role", [t["id"] for t in client.get("/ResourceTypes").json["Resources"]])
        self.assertScimError(client.get("/Roles"), 404)

        self.server.cli("tenant", "set", "entitled", "okta_roles", "on", check=True)
        types = {t["id"]: t for t in client.get("/ResourceTypes").json["Resources"]}
        self.assertEqual((types["Role"]["endpoint"], types["Role"]["schema"]),
                         ("/Roles", "urn:okta:scim:schemas:core:1.0:Role"))
        self.assertEqual(client.get("/ResourceTypes/Role").json["schema"], "urn:okta:scim:schemas:core:1.0:Role")
        self.assertIn("urn:okta:scim:schemas:core:1.0:Role", [s["id"] for s in client.get("/Schemas").json["Resources"]])
        roles = client.get("/Roles").json
        self.assertEqual(roles["totalResults"], 2)
        self.assertEqual([r["id"] for r in roles["Resources"]], ["DISTRIBUTOR_ADMIN", "RESELLER_VIEWER"])
        self.assertEqual(client.get("/Roles/RESELLER_VIEWER").json["displayName"], "RESELLER_VIEWER")
        self.assertScimError(client.get("/Roles/NOPE"), 404)

        body = dict(user("r@entitled.example"), role="RESELLER_VIEWER", roles=[{"value": "DISTRIBUTOR_ADMIN"}])
        self.assertEqual(client.post("/Users", body).status, 201)
        wrong = client.post("/Users", dict(body, userName="s@entitled.example", roles=[{"value": "GOD"}]))
        self.assertScimError(wrong, 400, "invalidValue")
        self.assertIn("DISTRIBUTOR_ADMIN, RESELLER_VIEWER", wrong.json["detail"])

    def test_the_circuit_breaker_holds_mass_deprovisioning_for_an_operator(self):
        client = self.tenant("breaker")
        self.server.cli("operator", "create", "breaker-op", input="Breaker-operator-1\n", check=True)
        key = self.server.cli("operator", "key", "breaker-op", check=True).stdout.strip().splitlines()[-1]
        admin = Client(self.server.port, "Bearer " + key, prefix="/api/v1/admin/tenants/breaker")
        self.addCleanup(admin.close)
        ids = [client.post("/Users", user(f"u{n}@breaker.example")).json["id"] for n in range(20)]
        self.server.cli("tenant", "set", "breaker", "deprovision_limit", "10%", check=True)  # 2 of 20: the floor of 5
        deactivate = patch_op({"op": "replace", "path": "active", "value": False})
        for uid in ids[:5]:
            self.assertEqual(client.patch(f"/Users/{uid}", deactivate).status, 200)
        self.assertIs(client.get(f"/Users/{ids[4]}").json["active"], False)

        held = client.patch(f"/Users/{ids[5]}", deactivate)  # the 6th in the window: held
        self.assertEqual(held.status, 200, held.text)
        self.assertIs(held.json["active"], False, "answered as the IdP expects")
        self.assertIs(client.get(f"/Users/{ids[5]}").json["active"], True, "but not applied")
        self.assertEqual(client.delete(f"/Users/{ids[6]}").status, 204)
        self.assertEqual(client.get(f"/Users/{ids[6]}").status, 200)
        self.assertScimError(client.delete("/Users/nosuch"), 404)

        pending = admin.get("/held?state=pending").json["held"]
        self.assertEqual(sorted((h["resource"], h["action"]) for h in pending),
                         sorted([(ids[5], "deactivate"), (ids[6], "delete")]))
        by_action = {h["action"]: h for h in pending}
        applied = admin.post(f"/held/{by_action['deactivate']['id']}/apply", headers={"Content-Type": "application/json"})
        self.assertEqual(applied.status, 200, applied.text)
        self.assertEqual((applied.json["state"], applied.json["decided_by"]), ("applied", "operator:breaker-op"))
        self.assertIs(client.get(f"/Users/{ids[5]}").json["active"], False)
        discarded = admin.post(f"/held/{by_action['delete']['id']}/discard", headers={"Content-Type": "application/json"})
        self.assertEqual(discarded.json["state"], "discarded")
        self.assertEqual(client.get(f"/Users/{ids[6]}").status, 200)
        self.assertScimError(admin.post(f"/held/{by_action['delete']['id']}/apply",
                                        headers={"Content-Type": "application/json"}), 404)
        # Still past the limit within the window: the next one is held too, until the limit is lifted.
        self.assertEqual(client.delete(f"/Users/{ids[7]}").status, 204)
        self.assertEqual(client.get(f"/Users/{ids[7]}").status, 200)
        self.server.cli("tenant", "set", "breaker", "deprovision_limit", "off", check=True)
        self.assertEqual(client.delete(f"/Users/{ids[8]}").status, 204)
        self.assertScimError(client.get(f"/Users/{ids[8]}"), 404)
        actions = [e["action"] for e in admin.get("/audit?limit=20").json["entries"]]
        for action in ("deprovision.held", "deprovision.apply", "deprovision.discard"):
            self.assertIn(action, actions)

    def test_account_linking_updates_the_existing_user_instead_of_a_409(self):
        client = self.tenant("linking")
        existing = client.post("/Users", user("pat@linking.example", displayName="Pat (imported)")).json
        other = client.post("/Users", user("sam@linking.example", externalId="okta-sam")).json
        # Off (the default): the second create of a userName is a 409, as RFC 7644 says.
        self.assertScimError(client.post("/Users", user("PAT@linking.example", externalId="okta-pat")), 409, "uniqueness")

        self.server.cli("tenant", "set", "linking", "account_linking", "on", check=True)
        linked = client.post("/Users", user("PAT@linking.example", externalId="okta-pat", displayName="Pat"))
        self.assertEqual(linked.status, 201, linked.text)
        self.assertEqual(linked.json["id"], existing["id"], "the existing user, not a new one")
        self.assertEqual((linked.json["externalId"], linked.json["displayName"]), ("okta-pat", "Pat"))
        again = client.post("/Users", user("pat.new@linking.example", externalId="okta-pat"))  # by externalId
        self.assertEqual(again.json["id"], existing["id"])
        self.assertEqual(again.json["userName"], "pat.new@linking.example")
        # Someone else's identity is never taken over: another externalId on that userName is a 409.
        self.assertScimError(client.post("/Users", user("sam@linking.example", externalId="okta-other")), 409)
        # Email only when the tenant trusts the IdP's emails.
        kim = client.post("/Users", user("kim@linking.example")).json  # email kim.mail@linking.example
        by_email = dict(user("kimberly@linking.example"), emails=[{"value": "kim.mail@linking.example"}])
        untrusted = client.post("/Users", by_email)
        self.assertEqual(untrusted.status, 201, untrusted.text)
        self.assertNotEqual(untrusted.json["id"], kim["id"], "never a silent adoption by email")
        self.server.cli("tenant", "set", "linking", "trust_idp_emails", "true", check=True)
        trusted = client.post("/Users", dict(user("kimmy@linking.example", externalId="okta-kim"),
                                             emails=[{"value": "kim.mail@linking.example"}]))
        self.assertEqual(trusted.status, 201, trusted.text)
        self.assertEqual(trusted.json["id"], kim["id"])
        # Trusted emails still never take over someone who has another IdP identity.
        taken = client.post("/Users", dict(user("samuel@linking.example", externalId="okta-x"),
                                           emails=[{"value": "sam.mail@linking.example"}]))
        self.assertEqual(taken.status, 201, taken.text)
        self.assertNotEqual(taken.json["id"], other["id"])
        self.assertTrue(wait_until(lambda: "linked to existing user" in self.server.cli(
            "journal", "linking", "--limit", "20", check=True).stdout))
