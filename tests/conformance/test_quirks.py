"""One test per quirk of ../../../shared/idp/TRAFFIC.md §2.6 that a server can show and that
tests/e2e does not already cover exactly (README.md has the Q1-Q25 table saying which test covers
each). Each test sends the IdP's exact wire shape, asserts what docs/api.md says scimd does or what
the IdP needs, and checks that nothing else changed where it matters."""
import json
import unittest
import urllib.parse
import uuid

import replay  # noqa: F401  (puts tests/e2e on sys.path for harness)
from harness import (ENTERPRISE, GROUP_SCHEMA, LIST_RESPONSE, USER_SCHEMA, Client, ServerTestCase, new_user,
                     patch_op, q)

OKTA_UA = "Okta SCIM Client 1.0.0"
EMPTY_LIST = {"schemas": [LIST_RESPONSE], "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []}



def uniq(prefix: str, domain: str = "example.test") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}@{domain}"


def entra_user(user_name: str) -> dict:
    """Entra's create body (TRAFFIC.md §2.2 item 3)."""
    return {"schemas": [USER_SCHEMA, ENTERPRISE], "externalId": str(uuid.uuid4()), "userName": user_name,
            "active": True, "emails": [{"primary": True, "type": "work", "value": user_name}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "Test User", "familyName": "User", "givenName": "Test"}, "roles": [],
            ENTERPRISE: {"employeeNumber": "1234", "department": "Sales"}}


def okta_user(user_name: str, **extra) -> dict:
    """Okta's create body (TRAFFIC.md §2.1 item 2), placeholder password included."""
    body = {"schemas": [USER_SCHEMA], "userName": user_name, "name": {"givenName": "Test", "familyName": "User"},
            "emails": [{"primary": True, "value": user_name, "type": "work"}], "displayName": "Test User",
            "locale": "en-US", "externalId": "00u" + uuid.uuid4().hex[:17], "groups": [], "password": "1mz050nq",
            "active": True}
    body.update(extra)
    return body


def onelogin_template(user_name: str, *, active: str, role: str) -> dict:
    """A user rendered from PagerDuty's OneLogin SCIM JSON template (TRAFFIC.md §2.3, OL4): "active" is
    "{$user.status}" and roles hold one value of the vendor's enum, both as strings."""
    return {"schemas": [USER_SCHEMA, ENTERPRISE], "userName": user_name,
            "name": {"givenName": "Hans", "familyName": "Mueller", "formatted": "Hans Mueller"},
            "emails": [{"value": user_name, "type": "work", "primary": True}],
            "active": active, "roles": [{"type": "base", "value": role}],
            ENTERPRISE: {"department": "Engineering"}}


class Quirks(ServerTestCase):
    # -- helpers ---------------------------------------------------------------------------------

    def create(self, kind: str, body: dict, client: Client | None = None) -> dict:
        r = (client or self.scim).post(f"/{kind}", body)
        self.assertEqual(r.status, 201, r.text)
        return r.json

    def get(self, path: str) -> dict:
        r = self.scim.get(path)
        self.assertEqual(r.status, 200, r.text)
        return r.json

    def patch_user(self, uid: str, *operations: dict) -> dict:
        r = self.scim.patch(f"/Users/{uid}", patch_op(*operations))
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json, self.get(f"/Users/{uid}"), "the PATCH response is the stored user")
        return r.json

    def members(self, gid: str) -> set:
        return {m["value"] for m in self.get(f"/Groups/{gid}").get("members") or []}

    def assertNoContent(self, r):
        self.assertEqual(r.status, 204, r.text)
        self.assertEqual(r.text, "")

    def assertUnchanged(self, before: dict, after: dict, *keys: str):
        for key in keys:
            self.assertEqual(after.get(key), before.get(key), key)

    # -- the quirks ------------------------------------------------------------------------------

    def test_q04_entra_pathless_replace_with_dotted_and_urn_keys(self):
        # With aadOptscim062020 Entra addresses sub-attributes and extension attributes as keys of a
        # path-less value: "name.givenName", "urn:…:enterprise:2.0:User:employeeNumber".
        before = self.create("Users", entra_user(uniq("q04", "contoso.test")))
        after = self.patch_user(before["id"], {"op": "replace", "value": {
            "displayName": "Babs Jensen", "name.givenName": "Barbara", f"{ENTERPRISE}:employeeNumber": "5678"}})
        self.assertEqual(after["displayName"], "Babs Jensen")
        self.assertEqual(after["name"], {"formatted": "Test User", "familyName": "User", "givenName": "Barbara"})
        self.assertEqual(after[ENTERPRISE], {"employeeNumber": "5678", "department": "Sales"})
        self.assertNotIn("name.givenName", after)
        self.assertNotIn(f"{ENTERPRISE}:employeeNumber", after)
        self.assertUnchanged(before, after, "userName", "externalId", "emails", "active", "schemas")
        self.assertNotEqual(after["meta"]["version"], before["meta"]["version"])

    def test_q05_entra_bare_string_manager_in_create_body_and_pathless_value(self):
        # Entra's own schema example: "urn:…:enterprise:2.0:User": {"manager": "123456"} (the PATCH on the
        # URN path is tests/e2e's); with the flag the same bare string comes as a key of a path-less value.
        manager = self.create("Users", new_user(uniq("q05-manager", "contoso.test")))["id"]
        other = self.create("Users", new_user(uniq("q05-other", "contoso.test")))["id"]
        body = entra_user(uniq("q05", "contoso.test"))
        body[ENTERPRISE]["manager"] = manager
        created = self.create("Users", body)
        for user in (created, self.get(f"/Users/{created['id']}")):
            self.assertEqual(user[ENTERPRISE]["manager"]["value"], manager)
            self.assertEqual(user[ENTERPRISE]["department"], "Sales")
            self.assertEqual(user[ENTERPRISE]["employeeNumber"], "1234")
        after = self.patch_user(created["id"], {"op": "replace", "value": {f"{ENTERPRISE}:manager": other}})
        self.assertEqual(after[ENTERPRISE]["manager"]["value"], other)
        self.assertEqual(after[ENTERPRISE]["department"], "Sales")
        self.assertUnchanged(created, after, "userName", "name", "emails", "active")

    def test_q06_entra_stringified_app_role_objects_in_patch(self):
        # SingleAppRoleAssignment on POST: role objects as objects.
        single = [{"primary": True, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}]
        body = entra_user(uniq("q06-single", "contoso.test"))
        body["roles"] = single
        self.assertEqual(self.create("Users", body)["roles"], single)
        # AppRoleAssignmentsComplex on PATCH (Add is the only op Entra sends for it): each role is a
        # JSON object serialised into `value` (SCIM-SDK #516's capture). The role must land as the
        # role named inside, not as a string of JSON.
        before = self.create("Users", entra_user(uniq("q06", "contoso.test")))
        stringified = [{"value": json.dumps({"id": "827f0d2e-be15-4d8f-a8e3-f8697239c112",
                                             "value": "DocumentMgmt-Admin", "displayName": "DocumentMgmt Admin"})},
                       {"value": json.dumps({"id": "8ae06bd4-35bb-4fcd-977e-14e074ad1192",
                                             "value": "Admin", "displayName": "Admin"})}]
        after = self.patch_user(before["id"], {"op": "Add", "path": "roles", "value": stringified})
        self.assertEqual(sorted(r["value"] for r in after["roles"]), ["Admin", "DocumentMgmt-Admin"])
        for role in after["roles"]:
            self.assertFalse(str(role["value"]).startswith("{"), role)
        self.assertUnchanged(before, after, "userName", "name", "emails", "active", ENTERPRISE)
        # A further assignment adds to the roles already there.
        after = self.patch_user(before["id"], {"op": "Add", "path": "roles", "value": [{"value": json.dumps(
            {"id": "a5c3e2f1-0000-4000-8000-000000000001", "value": "Reader", "displayName": "Reader"})}]})
        self.assertEqual(sorted(r["value"] for r in after["roles"]), ["Admin", "DocumentMgmt-Admin", "Reader"])

    def test_q08_entra_add_and_replace_both_upsert(self):
        # Entra may send Add where the attribute exists and Replace where it does not (Q&A 1373350, 1684621).
        body = entra_user(uniq("q08", "contoso.test"))
        body["title"] = "Engineer"
        before = self.create("Users", body)
        uid = before["id"]
        # Add on a single-valued attribute that has a value replaces it (RFC 7644 §3.5.2.1).
        self.assertEqual(self.patch_user(uid, {"op": "Add", "path": "title", "value": "Manager"})["title"], "Manager")
        # Replace on an attribute without a value adds it (RFC 7644 §3.5.2.3).
        self.assertEqual(self.patch_user(uid, {"op": "Replace", "path": "nickName", "value": "Babs"})["nickName"],
                         "Babs")
        after = self.patch_user(uid, {"op": "Replace", "path": f"{ENTERPRISE}:costCenter", "value": "CC-1"})
        self.assertEqual(after[ENTERPRISE], {"employeeNumber": "1234", "department": "Sales", "costCenter": "CC-1"})
        after = self.patch_user(uid, {"op": "Add", "path": f"{ENTERPRISE}:costCenter", "value": "CC-2"})
        self.assertEqual(after[ENTERPRISE]["costCenter"], "CC-2")
        # Add on the work email's value changes that email; it does not add a second one.
        new_mail = "new." + before["userName"]
        after = self.patch_user(uid, {"op": "Add", "path": 'emails[type eq "work"].value', "value": new_mail})
        self.assertEqual(after["emails"], [{"primary": True, "type": "work", "value": new_mail}])
        self.assertEqual((after["title"], after["nickName"]), ("Manager", "Babs"))
        self.assertUnchanged(before, after, "userName", "name", "active", "externalId")

    def test_q14_onelogin_bearer_token_field_holding_token_equals(self):
        # PagerDuty tells OneLogin admins to enter `token=<API KEY>` into the "SCIM Bearer Token" field,
        # which OneLogin sends after "Bearer ". decisions/0003: the scimd_ token is found wherever it
        # stands in the header value.
        token = self.server.demo_token
        name = uniq("q14", "onelogin.test")
        c = Client(self.server.port, "Bearer token=" + token)
        try:
            r = c.get(q("/Users", filter=f'userName eq "{name}"'))
            self.assertEqual((r.status, r.json), (200, EMPTY_LIST), r.text)
            self.assertEqual(c.post("/Users", new_user(name)).status, 201)
        finally:
            c.close()
        tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
        bad = Client(self.server.port, "Bearer token=" + tampered)
        try:
            r = bad.post("/Users", new_user(uniq("q14-bad", "onelogin.test")))
            self.assertScimError(r, 401)
            self.assertTrue((r.header("WWW-Authenticate") or "").startswith("Bearer"), r.headers)
            self.assertScimError(bad.get("/Users"), 401)
        finally:
            bad.close()
        body = self.assertListResponse(self.scim.get(q("/Users", filter=f'userName eq "{name}"')), total=1)
        self.assertEqual(body["Resources"][0]["userName"], name)
        self.assertListResponse(self.scim.get(q("/Users", filter='userName sw "q14-bad."')), total=0)

    def test_q20_entra_jumpcloud_existing_group_matched_by_display_name(self):
        # A group the app already has: Entra matches it by displayName (read without members) and
        # JumpCloud takes it over by name; both then change that group, and no second one appears.
        u0 = self.create("Users", new_user(uniq("q20-0")))["id"]
        u1 = self.create("Users", new_user(uniq("q20-1")))["id"]
        tag = uuid.uuid4().hex[:8]
        existing = self.create("Groups", {"schemas": [GROUP_SCHEMA], "displayName": f"Sales {tag}",
                                          "members": [{"value": u0}]})
        gid = existing["id"]
        for name in (f"Sales {tag}", f"sales {tag}"):  # displayName is not caseExact (RFC 7643 §4.2)
            with self.subTest(lookup=name):
                body = self.assertListResponse(self.scim.get(
                    f"/Groups?excludedAttributes=members&filter=displayName+eq+%22{urllib.parse.quote_plus(name)}%22"),
                    total=1)
                self.assertEqual(body["Resources"][0]["id"], gid)
                self.assertNotIn("members", body["Resources"][0])
        self.assertNoContent(self.scim.patch(f"/Groups/{gid}", patch_op(
            {"op": "add", "path": "members", "value": [{"value": u1}]})))
        self.assertNoContent(self.scim.patch(f"/Groups/{gid}", patch_op(
            {"op": "replace", "value": {"displayName": f"Sales Team {tag}"}})))
        self.assertEqual(self.members(gid), {u0, u1})
        self.assertEqual(self.get(f"/Groups/{gid}")["displayName"], f"Sales Team {tag}")
        groups = self.assertListResponse(self.scim.get(q("/Groups", filter=f'displayName co "{tag}"')), total=1)
        self.assertEqual(groups["Resources"][0]["id"], gid)

    def test_q22_onelogin_template_roles_from_a_vendor_enum(self):
        # PagerDuty's template: "roles":[{"type":"base","value":"{$parameters…}"}] with its own enum, and
        # "active":"{$user.status}". Until tenant schemas restrict roles, every value is kept as sent.
        name = uniq("q22", "onelogin.test")
        created = self.create("Users", onelogin_template(name, active="true", role="read_only_user"))
        self.assertIs(created["active"], True)
        self.assertEqual(created["roles"], [{"type": "base", "value": "read_only_user"}])
        uid = created["id"]
        for role, active in (("admin", "true"), ("user", "true"), ("limited_user", "true"), ("observer", "false"),
                             ("restricted_access", "false")):
            with self.subTest(role=role, active=active):
                r = self.scim.put(f"/Users/{uid}", onelogin_template(name, active=active, role=role))
                self.assertEqual(r.status, 200, r.text)
                self.assertEqual(r.json["roles"], [{"type": "base", "value": role}], "a PUT replaces the roles")
                self.assertIs(r.json["active"], active == "true")
                self.assertEqual(r.json[ENTERPRISE], {"department": "Engineering"})
                self.assertEqual(r.json, self.get(f"/Users/{uid}"))
        body = self.assertListResponse(self.scim.get(q("/Users", filter='roles.value eq "restricted_access"')), 1)
        self.assertEqual(body["Resources"][0]["id"], uid)

    def test_q23_okta_manager_as_okta_free_text_id_is_kept(self):
        # Pattern (a): external name manager.value fed from Okta's managerId, an Okta user id that is not
        # a SCIM id here (and may name a user not provisioned yet). The create must not fail on it.
        # A reference nobody matches is kept as sent (pending) until a user it names arrives: Okta sends its
        # own user id as externalId, so the manager resolves when provisioned. Pattern (b), manager.Email:
        # e2e/test_directory.py.
        okta = Client(self.server.port, self.server.demo_token)
        okta_id = "00u1a2b3c4D5e6F7g8h9"
        try:
            body = okta_user(uniq("q23", "okta.local"), schemas=[USER_SCHEMA, ENTERPRISE],
                             **{ENTERPRISE: {"manager": {"value": okta_id}}})
            r = okta.post("/Users", body, headers={"User-Agent": OKTA_UA})
            self.assertEqual(r.status, 201, r.text)
            created = r.json
            self.assertEqual(created[ENTERPRISE]["manager"]["value"], okta_id)
            # Okta's update: GET, modify, PUT the whole object back.
            current = self.get(f"/Users/{created['id']}")
            self.assertEqual(current[ENTERPRISE]["manager"]["value"], okta_id)
            current["title"] = "Engineer"
            r = okta.put(f"/Users/{created['id']}", current, headers={"User-Agent": OKTA_UA})
            self.assertEqual(r.status, 200, r.text)
            self.assertEqual(r.json[ENTERPRISE]["manager"]["value"], okta_id)
            self.assertEqual(r.json["title"], "Engineer")
        finally:
            okta.close()

    def test_q25_okta_recreates_and_onelogin_gets_404_after_the_sp_deleted_the_user(self):
        name = uniq("q25", "okta.local")
        body = okta_user(name)
        old = self.create("Users", body)["id"]
        stays = self.create("Users", new_user(uniq("q25-stays")))["id"]
        group = self.create("Groups", {"schemas": [GROUP_SCHEMA], "displayName": f"Q25 {uuid.uuid4().hex[:8]}",
                                       "members": [{"value": old}, {"value": stays}]})["id"]
        self.assertNoContent(self.scim.delete(f"/Users/{old}"))  # the vendor's admin deletes the user
        # OneLogin updates the id it knows with a full PUT: a SCIM 404, which OneLogin reports as an error.
        self.assertScimError(self.scim.put(f"/Users/{old}", onelogin_template(name, active="true", role="user")), 404)
        # Okta reactivates the id it knows (404), then creates the user again.
        self.assertScimError(self.scim.patch(f"/Users/{old}", patch_op(
            {"op": "replace", "value": {"active": True}})), 404)
        r = self.scim.get(q("/Users", filter=f'userName eq "{name}"', startIndex=1, count=100))
        self.assertEqual((r.status, r.json), (200, EMPTY_LIST), r.text)
        # The same externalId within the tenant's delete_retention_days: the user comes back under its
        # old SCIM id (a tombstone), so the vendor's app finds its own records of that user again.
        again = self.create("Users", body)
        self.assertEqual(again["id"], old)
        self.assertEqual((again["userName"], again["externalId"], again["active"]), (name, body["externalId"], True))
        self.assertEqual(again.get("groups", []), [], "group membership of the deleted user does not come back")
        body_list = self.assertListResponse(self.scim.get(q("/Users", filter=f'userName eq "{name}"')), total=1)
        self.assertEqual(body_list["Resources"][0]["id"], again["id"])
        self.assertEqual(self.get(f"/Users/{old}")["userName"], name)
        self.assertEqual(self.members(group), {stays})
        self.assertListResponse(self.scim.get(q("/Users", filter=f'userName eq "{name}" or id eq "{old}"')), total=1)


if __name__ == "__main__":
    unittest.main()
