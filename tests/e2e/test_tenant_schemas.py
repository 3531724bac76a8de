"""Tenant schemas (issue 4 items 1-3): a custom extension declared with `scimd schema apply` while the
server runs, used by a provisioning run, validated, filtered, sorted, patched and shown in /Schemas;
extra core attributes with a closed list of values; unknown attributes refused or kept and
reported; a schema change that hides values without losing them. Other tenants are untouched."""
from __future__ import annotations

import json
import os
import tempfile

from harness import Client, ServerTestCase, patch_op, q

ACME = "urn:ietf:params:scim:schemas:extension:acme:1.0:User"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def attribute(name, type_="string", **extra):
    return {"name": name, "type": type_, **extra}


ACME_SCHEMA = {
    "id": ACME,
    "name": "AcmeUser",
    "description": "What Acme's app needs of a user",
    "attributes": [
        attribute("employeeId", caseExact=True, uniqueness="server", description="HR number"),
        attribute("badge", "integer"),
        attribute("hireDate", "dateTime"),
        attribute("level", canonicalValues=["L1", "L2", "L3"]),
        attribute("contractor", "boolean"),
        attribute("fte", "decimal"),
        attribute("site", "complex", subAttributes=[attribute("building"), attribute("floor", "integer")]),
        attribute("tags", multiValued=True),
    ],
}

ROLE_SCHEMA = {
    "id": CORE_USER,
    "attributes": [attribute("role", required=True, canonicalValues=["DISTRIBUTOR_ADMIN", "RESELLER_VIEWER"])],
}


def acme_user(user_name, employee_id, badge, level="L1", **extra):
    body = {
        "schemas": [CORE_USER, ACME],
        "userName": user_name,
        "name": {"givenName": user_name.split("@")[0], "familyName": "Acme"},
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        "active": True,
        ACME: {"employeeId": employee_id, "badge": badge, "hireDate": "2024-03-01T09:00:00Z", "level": level,
               "contractor": False, "fte": 0.8, "site": {"building": "B7", "floor": 3}, "tags": ["sales", "emea"]},
    }
    body.update(extra)
    return body


class TenantSchemaTest(ServerTestCase):
    tenant = "acme"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.cli("tenant", "create", cls.tenant, check=True)
        cls.token = cls.server.issue_token(cls.tenant)

    def setUp(self):
        super().setUp()
        self.acme = self.server.client(self.token, prefix=f"/scim/v2/{self.tenant}")
        self.addCleanup(self.acme.close)

    def apply(self, tenant: str, document, expect: int = 0):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(document, f)
        self.addCleanup(os.unlink, f.name)
        result = self.server.cli("schema", "apply", tenant, f.name)
        self.assertEqual(result.returncode, expect, result.stderr)
        return result

    def test_a_custom_extension_is_served_validated_stored_filtered_sorted_and_patched(self):
        self.apply(self.tenant, [ACME_SCHEMA])
        listed = self.server.cli("schema", "list", self.tenant, check=True).stdout
        self.assertIn(ACME, listed)

        schemas = self.acme.get("/Schemas")
        self.assertEqual(schemas.status, 200)
        by_id = {s["id"]: s for s in schemas.json["Resources"]}
        self.assertIn(ACME, by_id)
        level = next(a for a in by_id[ACME]["attributes"] if a["name"] == "level")
        self.assertEqual(level["canonicalValues"], ["L1", "L2", "L3"])
        self.assertNotIn("x-scimd-declared", json.dumps(by_id[ACME]))
        user_type = self.acme.get("/ResourceTypes/User").json
        self.assertIn({"schema": ACME, "required": False}, user_type["schemaExtensions"])
        # Another tenant's discovery does not show it, and its users cannot carry it.
        self.assertNotIn(ACME, [s["id"] for s in self.scim.get("/Schemas").json["Resources"]])
        foreign = self.scim.post("/Users", acme_user("x@demo.example", "E0", 1))
        self.assertScimError(foreign, 400)
        self.assertIn(ACME, foreign.json["detail"])

        # A provisioning run: lookup by filter, then create, as Okta does.
        ids = {}
        for n, (name, badge, level_value) in enumerate([("ann", 30, "L2"), ("bob", 10, "L1"), ("cid", 20, "L3")]):
            user_name = f"{name}@acme.example"
            lookup = self.acme.get(q("/Users", filter=f'userName eq "{user_name}"'))
            self.assertEqual(lookup.json["totalResults"], 0)
            created = self.acme.post("/Users", acme_user(user_name, f"E{n}", badge, level_value))
            self.assertEqual(created.status, 201, created.text)
            self.assertEqual(created.json[ACME]["site"], {"building": "B7", "floor": 3})
            self.assertIn(ACME, created.json["schemas"])
            ids[name] = created.json["id"]
        fetched = self.acme.get(f"/Users/{ids['bob']}").json
        self.assertEqual(fetched[ACME]["employeeId"], "E1")
        self.assertEqual(fetched[ACME]["tags"], ["sales", "emea"])

        found = self.acme.get(q("/Users", filter=f'{ACME}:employeeId eq "E2"'))
        self.assertEqual([r["id"] for r in found.json["Resources"]], [ids["cid"]])
        found = self.acme.get(q("/Users", filter=f"{ACME}:badge gt 15 and {ACME}:site.building eq \"B7\""))
        self.assertEqual(sorted(r["id"] for r in found.json["Resources"]), sorted([ids["ann"], ids["cid"]]))
        found = self.acme.get(q("/Users", filter='level eq "L3"'))  # unqualified names resolve too
        self.assertEqual([r["id"] for r in found.json["Resources"]], [ids["cid"]])
        ordered = self.acme.get(q("/Users", sortBy=f"{ACME}:badge", sortOrder="descending"))
        self.assertEqual([r["id"] for r in ordered.json["Resources"]], [ids["ann"], ids["cid"], ids["bob"]])

        patched = self.acme.patch(f"/Users/{ids['bob']}", patch_op(
            {"op": "replace", "path": f"{ACME}:level", "value": "L2"},
            {"op": "add", "path": f"{ACME}:tags", "value": ["apac"]}))
        self.assertEqual(patched.status, 200, patched.text)
        self.assertEqual(patched.json[ACME]["level"], "L2")
        self.assertEqual(patched.json[ACME]["tags"], ["sales", "emea", "apac"])

        # Wrong values are refused with what is allowed, and change nothing.
        wrong = self.acme.patch(f"/Users/{ids['bob']}", patch_op({"op": "replace", "path": f"{ACME}:level", "value": "L9"}))
        self.assertScimError(wrong, 400, "invalidValue")
        self.assertIn("L1, L2, L3", wrong.json["detail"])
        wrong = self.acme.post("/Users", acme_user("dan@acme.example", "E9", "not a number"))
        self.assertScimError(wrong, 400, "invalidValue")
        self.assertIn("badge", wrong.json["detail"])
        self.assertEqual(self.acme.get(f"/Users/{ids['bob']}").json[ACME]["level"], "L2")
        self.assertEqual(self.acme.get(q("/Users", filter='userName eq "dan@acme.example"')).json["totalResults"], 0)

    def test_removing_an_attribute_hides_its_values_and_applying_it_again_brings_them_back(self):
        self.apply(self.tenant, [ACME_SCHEMA])
        created = self.acme.post("/Users", acme_user("hid@acme.example", "H1", 77))
        self.assertEqual(created.status, 201, created.text)
        uid = created.json["id"]
        etag = created.json["meta"]["version"]

        without_badge = dict(ACME_SCHEMA, attributes=[a for a in ACME_SCHEMA["attributes"] if a["name"] != "badge"])
        result = self.apply(self.tenant, without_badge)
        self.assertIn("rewritten", result.stdout)
        shown = self.acme.get(f"/Users/{uid}").json
        self.assertNotIn("badge", shown[ACME])
        self.assertEqual(shown[ACME]["employeeId"], "H1")
        self.assertNotEqual(shown["meta"]["version"], etag, "the representation changed, so the ETag does")
        self.assertScimError(self.acme.get(q("/Users", filter=f"{ACME}:badge eq 77")), 400, "invalidFilter")
        # A write while hidden keeps the hidden value.
        self.assertEqual(self.acme.patch(f"/Users/{uid}", patch_op(
            {"op": "replace", "path": "displayName", "value": "Hid"})).status, 200)

        self.apply(self.tenant, ACME_SCHEMA)
        self.assertEqual(self.acme.get(f"/Users/{uid}").json[ACME]["badge"], 77)

        # Removing the whole extension hides it all; applying it again brings it all back.
        self.assertEqual(self.server.cli("schema", "remove", self.tenant, ACME).returncode, 0)
        shown = self.acme.get(f"/Users/{uid}").json
        self.assertNotIn(ACME, shown)
        self.assertNotIn(ACME, shown["schemas"])
        self.assertNotIn(ACME, [s["id"] for s in self.acme.get("/Schemas").json["Resources"]])
        self.assertEqual(self.server.cli("schema", "remove", self.tenant, ACME).returncode, 3)
        self.apply(self.tenant, [ACME_SCHEMA])
        shown = self.acme.get(f"/Users/{uid}").json
        self.assertEqual((shown[ACME]["badge"], shown[ACME]["employeeId"], shown["displayName"]), (77, "H1", "Hid"))

    def test_an_extra_core_attribute_with_a_closed_list_of_values(self):
        self.server.cli("tenant", "create", "reseller", check=True)
        client = self.server.client(self.server.issue_token("reseller"), prefix="/scim/v2/reseller")
        self.addCleanup(client.close)
        self.apply("reseller", ROLE_SCHEMA)
        core = next(s for s in client.get("/Schemas").json["Resources"] if s["id"] == CORE_USER)
        role = next(a for a in core["attributes"] if a["name"] == "role")
        self.assertTrue(role["required"])

        base = {"schemas": [CORE_USER], "userName": "r1@reseller.example"}
        missing = client.post("/Users", base)
        self.assertScimError(missing, 400, "invalidValue")
        self.assertIn("role", missing.json["detail"])
        wrong = client.post("/Users", dict(base, role="SUPERUSER"))
        self.assertScimError(wrong, 400, "invalidValue")
        self.assertIn("DISTRIBUTOR_ADMIN, RESELLER_VIEWER", wrong.json["detail"])
        made = client.post("/Users", dict(base, role="RESELLER_VIEWER"))
        self.assertEqual(made.status, 201, made.text)
        self.assertEqual(made.json["role"], "RESELLER_VIEWER")
        self.assertEqual(client.get(q("/Users", filter='role eq "RESELLER_VIEWER"')).json["totalResults"], 1)
        # RFC core attributes keep their open lists: an IdP's own email type is accepted.
        other = client.post("/Users", dict(base, userName="r2@reseller.example", role="DISTRIBUTOR_ADMIN",
                                           emails=[{"value": "r2@reseller.example", "type": "corp"}]))
        self.assertEqual(other.status, 201, other.text)

        # Redefining a core attribute scimd relies on is refused and changes nothing.
        bad = self.apply("reseller", {"id": CORE_USER, "attributes": [attribute("userName", "integer")]}, expect=2)
        self.assertIn("userName", bad.stderr)
        self.apply("reseller", {"id": "urn:acme:not-a-type", "attributes": []}, expect=2)
        self.apply("reseller", {"id": ENTERPRISE, "attributes": []}, expect=2)
        self.apply("reseller", {"id": ACME, "attributes": [attribute("x", "float")]}, expect=2)
        self.assertNotIn(ACME, self.server.cli("schema", "list", "reseller", check=True).stdout)
        self.assertEqual(client.post("/Users", dict(base, userName="r3@reseller.example", role="RESELLER_VIEWER")).status, 201)

    def test_unknown_attributes_are_refused_by_default_or_kept_and_reported(self):
        self.server.cli("tenant", "create", "keeper", check=True)
        client = self.server.client(self.server.issue_token("keeper"), prefix="/scim/v2/keeper")
        self.addCleanup(client.close)
        other = "urn:ietf:params:scim:schemas:extension:okta:1.0:User"
        body = {"schemas": [CORE_USER, other], "userName": "k1@keeper.example", "favoriteColor": "teal",
                other: {"costCenter": "CC-7"}}
        refused = client.post("/Users", body)
        self.assertScimError(refused, 400)
        self.assertIn(other, refused.json["detail"])
        refused = client.post("/Users", {"schemas": [CORE_USER], "userName": "k1@keeper.example", "favoriteColor": "teal"})
        self.assertScimError(refused, 400)
        self.assertIn("favoriteColor", refused.json["detail"])

        self.server.cli("tenant", "set", "keeper", "unknown_attributes", "keep", check=True)
        kept = client.post("/Users", body)
        self.assertEqual(kept.status, 201, kept.text)
        self.assertNotIn("favoriteColor", kept.json)
        self.assertNotIn(other, kept.json)
        second = client.post("/Users", {"schemas": [CORE_USER], "userName": "k2@keeper.example", "favoriteColor": "red"})
        self.assertEqual(second.status, 201, second.text)
        report = self.server.cli("schema", "unmapped", "keeper", check=True).stdout.splitlines()[1:]
        self.assertEqual([line.split() for line in report], [["2", "favoriteColor"], ["1", other + ":costCenter"]])

        # Declaring the kept extension later shows what was kept.
        self.apply("keeper", {"id": other, "attributes": [attribute("costCenter")]})
        self.assertEqual(client.get(f"/Users/{kept.json['id']}").json[other], {"costCenter": "CC-7"})
        report = self.server.cli("schema", "unmapped", "keeper", check=True).stdout.splitlines()[1:]
        self.assertEqual([line.split() for line in report], [["2", "favoriteColor"]])

    def test_the_admin_api_applies_lists_and_removes_schemas(self):
        self.server.cli("operator", "create", "schemer", input="Schema-operator-1\n", check=True)
        key = self.server.cli("operator", "key", "schemer", check=True).stdout.strip().splitlines()[-1]
        self.server.cli("tenant", "create", "viaapi", check=True)
        admin = Client(self.server.port, "Bearer " + key, prefix="/api/v1/admin/tenants/viaapi")
        self.addCleanup(admin.close)
        headers = {"Content-Type": "application/json"}
        applied = admin.request("POST", "/schemas", raw=json.dumps([ACME_SCHEMA, ROLE_SCHEMA]).encode(), headers=headers)
        self.assertEqual(applied.status, 200, applied.text)
        self.assertEqual(applied.json["urns"], [ACME, CORE_USER])
        listed = admin.get("/schemas", headers=headers).json["schemas"]
        self.assertEqual(sorted(s["urn"] for s in listed), sorted([ACME, CORE_USER]))
        bad = admin.request("POST", "/schemas", raw=json.dumps({"id": ACME, "attributes": [{"name": "x"}]}).encode(),
                            headers=headers)
        self.assertScimError(bad, 400, "invalidValue")
        self.assertEqual(admin.get("/unmapped", headers=headers).json, {"attributes": []})
        removed = admin.request("DELETE", "/schemas/" + ACME, headers=headers)
        self.assertEqual(removed.status, 200, removed.text)
        self.assertEqual([s["urn"] for s in admin.get("/schemas", headers=headers).json["schemas"]], [CORE_USER])
        self.assertScimError(admin.request("DELETE", "/schemas/" + ACME, headers=headers), 404)
        audit = admin.get("/audit", headers=headers).json["entries"]
        self.assertEqual([e["action"] for e in audit[:2]], ["schema.remove", "schema.apply"])
