"""OneLogin's "SCIM Provisioner with SAML (SCIM v2 Enterprise)" as it really talks to a SCIM server
(shared/idp/TRAFFIC.md §2.3, the sequence of linkyard/scim-scala's OneLoginClientSpec, quirk Q22):
the admin-authored JSON template decides the user payload, so typed attributes can arrive as
strings ("active": "true"), and updates are full PUTs."""
import unittest
import uuid

from harness import ENTERPRISE, GROUP_SCHEMA, LIST_RESPONSE, PATCH_OP, ServerTestCase, USER_SCHEMA, new_user, q



def template_user(user_name: str, manager_id: str, *, active="true", given="Hans", family="Mueller",
                  department="Engineering") -> dict:
    """A user rendered from a OneLogin SCIM JSON template (TRAFFIC.md §2.3): enterprise extension with
    department and manager {value, displayName}; `active` from "{$user.status}" arrives as a string."""
    return {"schemas": [USER_SCHEMA, ENTERPRISE],
            "userName": user_name,
            "name": {"givenName": given, "familyName": family, "formatted": f"{given} {family}"},
            "emails": [{"value": user_name, "type": "work", "primary": True}],
            "active": active,
            ENTERPRISE: {"department": department,
                         "manager": {"value": manager_id, "displayName": "Erika Musterfrau"}}}


class OneLogin(ServerTestCase):
    def lookup(self, user_name: str) -> dict:
        r = self.scim.get(q("/Users", filter=f'userName eq "{user_name}"'))
        return self.assertListResponse(r)

    def create_manager(self) -> str:
        r = self.scim.post("/Users", new_user(f"erika.{uuid.uuid4().hex[:10]}@onelogin.test"))
        self.assertEqual(r.status, 201, r.text)
        return r.json["id"]

    def group_members(self, gid: str) -> set:
        r = self.scim.get(f"/Groups/{gid}")
        self.assertEqual(r.status, 200, r.text)
        return {m["value"] for m in r.json.get("members") or []}

    def test_activation_probe_on_never_existing_user(self):
        r = self.scim.get(q("/Users", filter='userName eq "never-existing-user"'))
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json, {"schemas": [LIST_RESPONSE], "totalResults": 0, "startIndex": 1,
                                  "itemsPerPage": 0, "Resources": []})

    def test_load_groups(self):
        names = {f"OneLogin Group {uuid.uuid4().hex[:8]}" for _ in range(2)}
        for name in names:
            self.assertEqual(self.scim.post("/Groups", {"displayName": name, "schemas": [GROUP_SCHEMA]}).status, 201)
        r = self.scim.get("/Groups?count=100&startIndex=1")
        body = self.assertListResponse(r)
        self.assertEqual(body["startIndex"], 1)
        self.assertEqual(body["itemsPerPage"], min(100, body["totalResults"]))
        self.assertLessEqual(names, {g["displayName"] for g in body["Resources"]})

    def test_full_lifecycle(self):
        manager = self.create_manager()
        name = f"hans.mueller.{uuid.uuid4().hex[:8]}@onelogin.test"
        # create: lookup first, then POST the template.
        self.assertEqual(self.lookup(name)["totalResults"], 0)
        r = self.scim.post("/Users", template_user(name, manager))
        self.assertEqual(r.status, 201, r.text)
        user = r.json
        uid = user["id"]
        self.assertIs(user["active"], True)
        self.assertEqual(user["userName"], name)
        self.assertEqual(user["name"]["familyName"], "Mueller")
        self.assertIn(ENTERPRISE, user["schemas"])
        self.assertEqual(user[ENTERPRISE]["department"], "Engineering")
        self.assertEqual(user[ENTERPRISE]["manager"]["value"], manager)
        self.assertIs(self.scim.get(f"/Users/{uid}").json["active"], True)
        self.assertEqual(self.lookup(name)["Resources"][0]["id"], uid)

        # missing group: POST without members.
        gname = f"Group C {uuid.uuid4().hex[:8]}"
        r = self.scim.post("/Groups", {"displayName": gname, "schemas": [GROUP_SCHEMA]})
        self.assertEqual(r.status, 201, r.text)
        gid = r.json["id"]
        self.assertIn(r.json.get("members", []), ([],))

        # add member.
        r = self.scim.patch(f"/Groups/{gid}", {"schemas": [PATCH_OP], "Operations": [
            {"value": [{"value": uid}], "op": "add", "path": "members"}]})
        self.assertEqual(r.status, 204, r.text)
        self.assertEqual(self.group_members(gid), {uid})
        self.assertEqual([g["value"] for g in self.scim.get(f"/Users/{uid}").json["groups"]], [gid])

        # update: full PUT of the template (OneLogin does not send id or meta).
        r = self.scim.put(f"/Users/{uid}", template_user(name, manager, family="Müller", department="Research"))
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json["name"]["familyName"], "Müller")
        self.assertEqual(r.json[ENTERPRISE]["department"], "Research")
        self.assertIs(r.json["active"], True)
        self.assertNotEqual(r.json["meta"]["version"], user["meta"]["version"])
        got = self.scim.get(f"/Users/{uid}").json
        self.assertEqual(got["name"]["familyName"], "Müller")
        self.assertEqual(got[ENTERPRISE]["department"], "Research")
        self.assertEqual(self.group_members(gid), {uid}, "a user PUT must not touch membership")

        # deactivate: remove from the group with a value array, then PUT active:false.
        r = self.scim.patch(f"/Groups/{gid}", {"schemas": [PATCH_OP], "Operations": [
            {"op": "remove", "path": "members", "value": [{"value": uid}]}]})
        self.assertEqual(r.status, 204, r.text)
        self.assertEqual(self.group_members(gid), set())
        body = template_user(name, manager, family="Müller", department="Research")
        body["active"] = False
        r = self.scim.put(f"/Users/{uid}", body)
        self.assertEqual(r.status, 200, r.text)
        self.assertIs(r.json["active"], False)
        self.assertIs(self.scim.get(f"/Users/{uid}").json["active"], False)
        self.assertEqual(self.scim.get(f"/Users/{uid}").json.get("groups", []), [])

        # delete: remove from groups (already done), then DELETE the user.
        r = self.scim.delete(f"/Users/{uid}")
        self.assertEqual(r.status, 204, r.text)
        self.assertEqual(r.text, "")
        self.assertScimError(self.scim.get(f"/Users/{uid}"), 404)
        self.assertEqual(self.lookup(name)["totalResults"], 0)
        # The group and the manager survive.
        self.assertEqual(self.scim.get(f"/Groups/{gid}").status, 200)
        self.assertEqual(self.scim.get(f"/Users/{manager}").status, 200)

    def test_template_typed_active_strings(self):
        manager = self.create_manager()
        for sent, expected in (("true", True), ("false", False), ("True", True), ("FALSE", False)):
            with self.subTest(active=sent):
                name = f"typed.{uuid.uuid4().hex[:8]}@onelogin.test"
                r = self.scim.post("/Users", template_user(name, manager, active=sent))
                self.assertEqual(r.status, 201, r.text)
                self.assertIs(r.json["active"], expected)
                self.assertIn('"active":' + ("true" if expected else "false"), r.text.replace(" ", ""))
                self.assertIs(self.scim.get(f"/Users/{r.json['id']}").json["active"], expected)
                # The same on a full PUT.
                r = self.scim.put(f"/Users/{r.json['id']}", template_user(name, manager, active=str(not expected)))
                self.assertEqual(r.status, 200, r.text)
                self.assertIs(r.json["active"], not expected)

    def test_unset_template_placeholders_as_empty_strings_are_accepted(self):
        # Whether OneLogin omits unset placeholders or sends "" is not verified: "" must not break a create.
        manager = self.create_manager()
        name = f"empty.{uuid.uuid4().hex[:8]}@onelogin.test"
        body = template_user(name, manager, department="")
        body["title"] = ""
        r = self.scim.post("/Users", body)
        self.assertEqual(r.status, 201, r.text)
        self.assertEqual(r.json["userName"], name)
        self.assertIn(r.json.get("title", ""), ("",))
        self.assertIn(r.json[ENTERPRISE].get("department", ""), ("",))
        self.assertEqual(r.json[ENTERPRISE]["manager"]["value"], manager)

    def test_paging_with_count_100(self):
        for i in range(3):
            self.assertEqual(self.scim.post("/Users", new_user(f"page{i}.{uuid.uuid4().hex[:8]}@onelogin.test"))
                             .status, 201)
        body = self.assertListResponse(self.scim.get("/Users?count=100&startIndex=1"))
        total = body["totalResults"]
        self.assertGreaterEqual(total, 3)
        self.assertLess(total, 100, "this class's own server holds only its own users")
        self.assertEqual(body["startIndex"], 1)
        self.assertEqual(body["itemsPerPage"], min(100, total))
        first_page = [u["id"] for u in body["Resources"]]
        # startIndex advanced: echoed, and the page is the rest of the list in the same order.
        for start in (2, total, total + 1):
            body = self.assertListResponse(self.scim.get(f"/Users?count=100&startIndex={start}"), total=total)
            self.assertEqual(body["startIndex"], start)
            self.assertEqual(body["itemsPerPage"], max(0, min(100, total - start + 1)))
            self.assertEqual([u["id"] for u in body["Resources"]], first_page[start - 1:start - 1 + 100])


if __name__ == "__main__":
    unittest.main()
