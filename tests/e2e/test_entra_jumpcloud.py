"""Microsoft Entra ID and JumpCloud as they really talk to a SCIM server (shared/idp/TRAFFIC.md §2.2,
§2.4; quirks Q1 capitalised ops, Q2 "True"/"False" strings, Q3 remove members with a value array,
Q5 bare-string manager, Q10 excludedAttributes=members, Q11 group PATCH 204, Q18 test connections).
Only the Entra shapes this foundation supports; the rest of Entra comes with later issues."""
import unittest
import uuid

from harness import ENTERPRISE, GROUP_SCHEMA, LIST_RESPONSE, PATCH_OP, ServerTestCase, USER_SCHEMA, new_user, q

MS_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"



def entra_patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def entra_user(user_name: str, external_id: str) -> dict:
    """Entra's create body (TRAFFIC.md §2.2 item 3)."""
    return {"schemas": [USER_SCHEMA, ENTERPRISE],
            "externalId": external_id,
            "userName": user_name,
            "active": True,
            "emails": [{"primary": True, "type": "work", "value": user_name}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "Test User", "familyName": "User", "givenName": "Test"},
            "roles": [],
            ENTERPRISE: {"employeeNumber": "1234", "department": "Sales"}}


class IdpCase(ServerTestCase):
    def create_user(self) -> dict:
        r = self.scim.post("/Users", new_user(f"u.{uuid.uuid4().hex[:10]}@contoso.test"))
        self.assertEqual(r.status, 201, r.text)
        return r.json

    def get_json(self, path: str) -> dict:
        r = self.scim.get(path)
        self.assertEqual(r.status, 200, r.text)
        return r.json

    def members(self, gid: str) -> set:
        return {m["value"] for m in self.get_json(f"/Groups/{gid}").get("members") or []}

    def assertNoContent(self, r):
        self.assertEqual(r.status, 204, r.text)
        self.assertEqual(r.text, "")


class Entra(IdpCase):
    def test_connection_test_random_guid_on_user_name_and_external_id(self):
        for attr in ("userName", "externalId"):
            with self.subTest(attr=attr):
                r = self.scim.get(q("/Users", filter=f'{attr} eq "{uuid.uuid4()}"'))
                self.assertEqual(r.status, 200, r.text)
                self.assertEqual(r.json, {"schemas": [LIST_RESPONSE], "totalResults": 0, "startIndex": 1,
                                          "itemsPerPage": 0, "Resources": []})

    def test_create_user_and_lookup_by_external_id(self):
        name = f"Test_User_{uuid.uuid4().hex[:8]}@contoso.test"
        ext = str(uuid.uuid4())
        r = self.scim.post("/Users", entra_user(name, ext))
        self.assertEqual(r.status, 201, r.text)
        user = r.json
        self.assertEqual(user["userName"], name)
        self.assertEqual(user["externalId"], ext)
        self.assertIs(user["active"], True)
        self.assertEqual(user["name"], {"formatted": "Test User", "familyName": "User", "givenName": "Test"})
        self.assertEqual(user["emails"], [{"primary": True, "type": "work", "value": name}])
        self.assertEqual(sorted(user["schemas"]), sorted([USER_SCHEMA, ENTERPRISE]))
        self.assertEqual(user[ENTERPRISE], {"employeeNumber": "1234", "department": "Sales"})
        self.assertEqual(user["meta"]["resourceType"], "User")
        self.assertTrue(user["meta"]["created"])
        self.assertIn(user.get("roles", []), ([],))
        for attr, value in (("externalId", ext), ("userName", name)):
            body = self.assertListResponse(self.scim.get(q("/Users", filter=f'{attr} eq "{value}"')), total=1)
            self.assertEqual(body["Resources"][0]["id"], user["id"])
        # Entra's combined lookup uses `and`.
        body = self.assertListResponse(self.scim.get(q(
            "/Users", filter=f'externalId eq "{ext}" and userName eq "{name}"')), total=1)
        self.assertEqual(body["Resources"][0]["id"], user["id"])

    def test_lookup_filters_of_this_foundation(self):
        name = f"Filter.{uuid.uuid4().hex[:8]}@contoso.test"
        ext = str(uuid.uuid4())
        user = self.scim.post("/Users", entra_user(name, ext)).json
        other = self.create_user()
        for expr, expected in (
                (f'emails.value eq "{name}"', {user["id"]}),
                (f'emails.value eq "{name.upper()}"', {user["id"]}),
                (f'id eq "{user["id"]}"', {user["id"]}),
                (f'USERNAME EQ "{name}"', {user["id"]}),
                (f'userName Eq "{name}"', {user["id"]}),
                (f'userName eq "{name}" or userName eq "{other["userName"]}"', {user["id"], other["id"]}),
                (f'(userName eq "{name}" or id eq "{other["id"]}") and active eq true', {user["id"], other["id"]}),
                (f'externalId eq "{ext}" and userName eq "{other["userName"]}"', set()),
                (f'externalId eq "{ext.upper()}"', set()),  # externalId is caseExact
                (f'id eq "{user["id"].upper()}"', set()),  # ids are case-sensitive
        ):
            with self.subTest(filter=expr):
                body = self.assertListResponse(self.scim.get(q("/Users", filter=expr)), total=len(expected))
                self.assertEqual({u["id"] for u in body["Resources"]}, expected)

    def test_patch_with_capitalised_ops(self):
        name = f"cap.{uuid.uuid4().hex[:8]}@contoso.test"
        uid = self.scim.post("/Users", entra_user(name, str(uuid.uuid4()))).json["id"]
        new_mail = "renamed." + name
        r = self.scim.patch(f"/Users/{uid}", entra_patch(
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": new_mail},
            {"op": "Replace", "path": "name.familyName", "value": "Smith"},
            {"op": "Add", "path": "nickName", "value": "Babs"},
            {"op": "Add", "path": f"{ENTERPRISE}:costCenter", "value": "CC-9"}))
        self.assertEqual(r.status, 200, r.text)
        for user in (r.json, self.get_json(f"/Users/{uid}")):
            self.assertEqual(user["emails"], [{"primary": True, "type": "work", "value": new_mail}])
            self.assertEqual(user["name"]["familyName"], "Smith")
            self.assertEqual(user["name"]["givenName"], "Test")
            self.assertEqual(user["nickName"], "Babs")
            self.assertEqual(user[ENTERPRISE]["costCenter"], "CC-9")
            self.assertEqual(user[ENTERPRISE]["department"], "Sales")
            self.assertEqual(user["userName"], name)
        r = self.scim.patch(f"/Users/{uid}", entra_patch({"op": "Remove", "path": "nickName"}))
        self.assertEqual(r.status, 200, r.text)
        self.assertNotIn("nickName", r.json)
        self.assertNotIn("nickName", self.get_json(f"/Users/{uid}"))
        # Lower and upper case mixed in one request.
        r = self.scim.patch(f"/Users/{uid}", entra_patch({"op": "REPLACE", "path": "displayName", "value": "D1"},
                                                         {"op": "add", "path": "title", "value": "T1"}))
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual((r.json["displayName"], r.json["title"]), ("D1", "T1"))

    def test_filtered_replace_that_matches_nothing_creates_the_element(self):
        # Q7: Entra replaces emails[type eq "work"].value on a user that has no work email.
        name = f"nowork.{uuid.uuid4().hex[:8]}@contoso.test"
        body = entra_user(name, str(uuid.uuid4()))
        body["emails"] = [{"type": "home", "value": "home." + name}]
        uid = self.scim.post("/Users", body).json["id"]
        r = self.scim.patch(f"/Users/{uid}", entra_patch(
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "work." + name}))
        self.assertEqual(r.status, 200, r.text)
        emails = sorted((e.get("type"), e["value"]) for e in self.get_json(f"/Users/{uid}")["emails"])
        self.assertEqual(emails, [("home", "home." + name), ("work", "work." + name)])

    def test_disable_with_string_false_and_enable_with_string_true(self):
        uid = self.scim.post("/Users", entra_user(f"dis.{uuid.uuid4().hex[:8]}@contoso.test",
                                                  str(uuid.uuid4()))).json["id"]
        r = self.scim.patch(f"/Users/{uid}", entra_patch({"op": "Replace", "path": "active", "value": "False"}))
        self.assertEqual(r.status, 200, r.text)
        self.assertIs(r.json["active"], False)
        self.assertIs(self.get_json(f"/Users/{uid}")["active"], False)
        r = self.scim.patch(f"/Users/{uid}", entra_patch({"op": "Replace", "path": "active", "value": "True"}))
        self.assertEqual(r.status, 200, r.text)
        self.assertIs(r.json["active"], True)
        # With the aadOptscim062020 flag Entra sends a real boolean.
        r = self.scim.patch(f"/Users/{uid}", entra_patch({"op": "replace", "path": "active", "value": False}))
        self.assertEqual(r.status, 200, r.text)
        self.assertIs(self.get_json(f"/Users/{uid}")["active"], False)

    def test_manager_as_bare_string_on_urn_path(self):
        manager = self.create_user()["id"]
        uid = self.scim.post("/Users", entra_user(f"rep.{uuid.uuid4().hex[:8]}@contoso.test",
                                                  str(uuid.uuid4()))).json["id"]
        r = self.scim.patch(f"/Users/{uid}", entra_patch(
            {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": manager}))
        self.assertEqual(r.status, 200, r.text)
        for user in (r.json, self.get_json(f"/Users/{uid}")):
            self.assertEqual(user[ENTERPRISE]["manager"]["value"], manager)
            self.assertEqual(user[ENTERPRISE]["department"], "Sales")
        other = self.create_user()["id"]
        r = self.scim.patch(f"/Users/{uid}", entra_patch(
            {"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": other}))
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(self.get_json(f"/Users/{uid}")[ENTERPRISE]["manager"]["value"], other)

    def test_group_names_are_unique_in_any_case(self):
        # Entra requires unique group names and matches by name; so does JumpCloud's takeover [Q20].
        name = f"Unique Group {uuid.uuid4().hex[:8]}"
        first = self.scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": name}).json
        other = self.scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": name + " 2"}).json
        for taken in (name, name.upper()):
            r = self.scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": taken})
            self.assertScimError(r, 409, "uniqueness")
            self.assertIn(first["id"], r.json["detail"])
        r = self.scim.patch(f"/Groups/{other['id']}", entra_patch(
            {"op": "Replace", "path": "displayName", "value": name.lower()}))
        self.assertScimError(r, 409, "uniqueness")
        r = self.scim.put(f"/Groups/{other['id']}", {"schemas": [GROUP_SCHEMA], "displayName": name})
        self.assertScimError(r, 409, "uniqueness")
        self.assertEqual(self.get_json(f"/Groups/{other['id']}")["displayName"], name + " 2")
        # A group may change the case of its own name.
        self.assertNoContent(self.scim.patch(f"/Groups/{first['id']}", entra_patch(
            {"op": "Replace", "path": "displayName", "value": name.upper()})))
        body = self.assertListResponse(self.scim.get(q("/Groups", filter=f'displayName eq "{name}"')), total=1)
        self.assertEqual(body["Resources"][0]["displayName"], name.upper())

    def test_group_lifecycle(self):
        u1, u2, u3 = (self.create_user()["id"] for _ in range(3))
        name = f"Entra Group {uuid.uuid4().hex[:8]}"
        ext = str(uuid.uuid4())
        r = self.scim.post("/Groups", {"schemas": [GROUP_SCHEMA, MS_GROUP], "externalId": ext,
                                       "displayName": name, "meta": {"resourceType": "Group"}})
        self.assertEqual(r.status, 201, r.text)
        gid = r.json["id"]
        self.assertEqual(r.json["displayName"], name)
        self.assertEqual(r.json["externalId"], ext)
        self.assertEqual(r.json["meta"]["resourceType"], "Group")

        # Add members with $ref: null, several in one PATCH.
        r = self.scim.patch(f"/Groups/{gid}", entra_patch(
            {"op": "Add", "path": "members", "value": [{"$ref": None, "value": u1}, {"$ref": None, "value": u2}]},
            {"op": "Add", "path": "members", "value": [{"$ref": None, "value": u3}]}))
        self.assertNoContent(r)
        self.assertEqual(self.members(gid), {u1, u2, u3})

        # Lookups Entra makes, without members.
        body = self.assertListResponse(self.scim.get(
            q("/Groups", excludedAttributes="members", filter=f'displayName eq "{name}"')), total=1)
        group = body["Resources"][0]
        self.assertEqual(group["id"], gid)
        self.assertEqual(group["displayName"], name)
        self.assertNotIn("members", group)
        got = self.get_json(q(f"/Groups/{gid}", excludedAttributes="members"))
        self.assertNotIn("members", got)
        self.assertEqual(got["displayName"], name)

        # Remove members with a value array.
        r = self.scim.patch(f"/Groups/{gid}", entra_patch(
            {"op": "Remove", "path": "members", "value": [{"value": u1}, {"value": u3}]}))
        self.assertNoContent(r)
        self.assertEqual(self.members(gid), {u2})
        # Entra's flag form: members[value eq "…"].
        r = self.scim.patch(f"/Groups/{gid}", entra_patch({"op": "Remove", "path": f'members[value eq "{u2}"]'}))
        self.assertNoContent(r)
        self.assertEqual(self.members(gid), set())
        self.assertNoContent(self.scim.patch(f"/Groups/{gid}", entra_patch(
            {"op": "Add", "path": "members", "value": [{"$ref": None, "value": u1}]})))

        # Replace displayName.
        new_name = name + " renamed"
        r = self.scim.patch(f"/Groups/{gid}", entra_patch({"op": "Replace", "path": "displayName", "value": new_name}))
        self.assertNoContent(r)
        self.assertEqual(self.get_json(f"/Groups/{gid}")["displayName"], new_name)
        self.assertEqual(self.members(gid), {u1})
        self.assertListResponse(self.scim.get(q("/Groups", filter=f'displayName eq "{name}"')), total=0)

        # DELETE.
        self.assertNoContent(self.scim.delete(f"/Groups/{gid}"))
        self.assertScimError(self.scim.get(f"/Groups/{gid}"), 404)
        self.assertEqual(self.get_json(f"/Users/{u1}").get("groups", []), [])

    def test_delete_user(self):
        uid = self.scim.post("/Users", entra_user(f"del.{uuid.uuid4().hex[:8]}@contoso.test",
                                                  str(uuid.uuid4()))).json["id"]
        self.assertNoContent(self.scim.delete(f"/Users/{uid}"))
        self.assertScimError(self.scim.get(f"/Users/{uid}"), 404)


class JumpCloud(IdpCase):
    def test_connection_test_creates_then_deletes_a_user_and_a_group(self):
        email = f"jc.test.{uuid.uuid4().hex[:8]}@jumpcloud.test"
        self.assertListResponse(self.scim.get(q("/Users", filter=f'userName eq "{email}"')), total=0)
        r = self.scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": email,
                                      "name": {"givenName": "Test", "familyName": "User"},
                                      "emails": [{"value": email, "type": "work", "primary": True}],
                                      "active": True})
        self.assertEqual(r.status, 201, r.text)
        uid = r.json["id"]
        gname = f"JumpCloud Test Group {uuid.uuid4().hex[:8]}"
        r = self.scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": gname,
                                       "members": [{"value": uid}]})
        self.assertEqual(r.status, 201, r.text)
        gid = r.json["id"]
        self.assertEqual(self.members(gid), {uid})
        self.assertNoContent(self.scim.delete(f"/Groups/{gid}"))
        self.assertNoContent(self.scim.delete(f"/Users/{uid}"))
        self.assertScimError(self.scim.get(f"/Groups/{gid}"), 404)
        self.assertScimError(self.scim.get(f"/Users/{uid}"), 404)
        self.assertListResponse(self.scim.get(q("/Users", filter=f'userName eq "{email}"')), total=0)
        self.assertListResponse(self.scim.get(q("/Groups", filter=f'displayName eq "{gname}"')), total=0)
        # Running the test again works: nothing was left behind.
        r = self.scim.post("/Users", new_user(email))
        self.assertEqual(r.status, 201, r.text)
        self.assertNoContent(self.scim.delete(f"/Users/{r.json['id']}"))

    def test_pathless_rename_keeps_members(self):
        u1 = self.create_user()["id"]
        r = self.scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": f"JC {uuid.uuid4().hex[:8]}",
                                       "members": [{"value": u1}]})
        self.assertEqual(r.status, 201, r.text)
        gid = r.json["id"]
        new_name = f"JC renamed {uuid.uuid4().hex[:8]}"
        r = self.scim.patch(f"/Groups/{gid}", entra_patch({"op": "replace", "value": {"displayName": new_name}}))
        self.assertNoContent(r)
        self.assertEqual(self.get_json(f"/Groups/{gid}")["displayName"], new_name)
        self.assertEqual(self.members(gid), {u1})
        self.assertEqual([g["display"] for g in self.get_json(f"/Users/{u1}")["groups"]], [new_name])

    def test_add_members_azure_style(self):
        u1, u2 = self.create_user()["id"], self.create_user()["id"]
        r = self.scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": f"JC {uuid.uuid4().hex[:8]}"})
        gid = r.json["id"]
        self.assertNoContent(self.scim.patch(f"/Groups/{gid}", entra_patch(
            {"op": "add", "path": "members", "value": [{"value": u1}]})))
        self.assertNoContent(self.scim.patch(f"/Groups/{gid}", entra_patch(
            {"op": "add", "path": "members", "value": [{"value": u2}]})))
        self.assertEqual(self.members(gid), {u1, u2})


if __name__ == "__main__":
    unittest.main()
