"""Okta as it really talks to a SCIM server: the OIN "SCIM 2.0 (Header Auth)" app and the AIW
"SCIM 2.0 Test App" (shared/idp/TRAFFIC.md §2.1, quirks Q11-Q16, Q19, Q21).

Every request below is shaped like Okta's: the same query strings (percent-encoded as Okta encodes
them), the same bodies, the same Authorization header forms, and the same User-Agent."""
import re
import sqlite3
import unittest
import urllib.parse
import uuid

from harness import (GROUP_SCHEMA, LIST_RESPONSE, ON_POSTGRES, PATCH_OP, USER_SCHEMA, Client, ServerTestCase, new_user,
                     patch_op, q)

OKTA_UA = "Okta SCIM Client 1.0.0"



def uniq(prefix: str = "okta") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:12]}@okta.local"


class OktaClient(Client):
    """A Client that sends Okta's User-Agent on every request."""

    def request(self, method, path, body=None, headers=None, raw=None, absolute=False):
        return super().request(method, path, body, headers=dict({"User-Agent": OKTA_UA}, **(headers or {})),
                               raw=raw, absolute=absolute)


def okta_create_body(user_name: str, external_id: str | None = None) -> dict:
    """The body Okta POSTs to /Users (TRAFFIC.md §2.1 item 2), password placeholder and groups:[] included."""
    return {"schemas": [USER_SCHEMA], "userName": user_name,
            "name": {"givenName": "Test", "familyName": "User"},
            "emails": [{"primary": True, "value": user_name, "type": "work"}],
            "displayName": "Test User", "locale": "en-US", "externalId": external_id or "00u" + uuid.uuid4().hex[:17],
            "groups": [], "password": "1mz050nq", "active": True}


class OktaBase(ServerTestCase):
    def setUp(self):
        super().setUp()
        # Okta's Header auth: the admin pastes the whole header value; scimd's token works bare.
        self.okta = OktaClient(self.server.port, self.server.demo_token)

    def tearDown(self):
        self.okta.close()
        super().tearDown()

    # -- helpers ---------------------------------------------------------------------------------

    def create_user(self, user_name: str | None = None) -> dict:
        r = self.okta.post("/Users", new_user(user_name or uniq()))
        self.assertEqual(r.status, 201, r.text)
        return r.json

    def create_group(self, name: str | None = None, members: list | None = None) -> dict:
        body = {"schemas": [GROUP_SCHEMA], "displayName": name or f"Okta Group {uuid.uuid4().hex[:10]}",
                "members": [{"value": m} for m in (members or [])]}
        r = self.okta.post("/Groups", body)
        self.assertEqual(r.status, 201, r.text)
        return r.json

    def member_ids(self, group_id: str) -> set:
        r = self.okta.get(f"/Groups/{group_id}")
        self.assertEqual(r.status, 200, r.text)
        members = r.json.get("members") or []
        ids = [m["value"] for m in members]
        self.assertEqual(len(ids), len(set(ids)), f"duplicate members: {r.text}")
        return set(ids)

    def get_json(self, path: str) -> dict:
        r = self.okta.get(path)
        self.assertEqual(r.status, 200, r.text)
        return r.json

    def assertNoBody(self, r):
        self.assertEqual(r.status, 204, r.text)
        self.assertEqual(r.text, "")


class OktaConnectionAndAuth(OktaBase):
    def test_connection_test_probe_returns_full_empty_list_response(self):
        r = self.okta.get(q("/Users", filter='userName eq "probe@x"', startIndex=1, count=1))
        self.assertEqual(r.status, 200, r.text)
        self.assertIn("application/scim+json", r.header("Content-Type") or "")
        self.assertEqual(r.json, {"schemas": [LIST_RESPONSE], "totalResults": 0, "startIndex": 1,
                                  "itemsPerPage": 0, "Resources": []})
        self.assertListResponse(r, total=0)

    def test_connection_test_lists_users_and_groups(self):
        for _ in range(3):
            self.create_user()
        self.create_group()
        r = self.okta.get(q("/Users", startIndex=1, count=2))
        body = self.assertListResponse(r)
        self.assertEqual(body["startIndex"], 1)
        self.assertEqual(body["itemsPerPage"], 2)
        self.assertGreaterEqual(body["totalResults"], 3)
        for user in body["Resources"]:
            self.assertTrue(user["id"])
            self.assertTrue(user["userName"])
        r = self.okta.get(q("/Groups", startIndex=1, count=100))
        body = self.assertListResponse(r)
        self.assertEqual(body["startIndex"], 1)
        self.assertGreaterEqual(body["totalResults"], 1)
        self.assertEqual(body["itemsPerPage"], min(100, body["totalResults"]))

    def test_header_auth_bare_token_bearer_and_lowercase_bearer(self):
        token = self.server.demo_token
        for value in (token, "Bearer " + token, "bearer " + token):
            c = OktaClient(self.server.port, value)
            r = c.get(q("/Users", filter='userName eq "probe@x"', startIndex=1, count=1))
            c.close()
            self.assertEqual(r.status, 200, f"Authorization: {value[:12]}...: {r.text}")
            self.assertListResponse(r, total=0)

    def test_missing_or_bad_credentials_are_401_scim_errors(self):
        token = self.server.demo_token
        tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
        for value in (None, "", "Bearer", "Bearer not-a-token", "not-a-token", "Bearer " + tampered, tampered):
            c = OktaClient(self.server.port, value)
            r = c.get("/Users")
            c.close()
            with self.subTest(authorization=value and value[:16]):
                self.assertScimError(r, 401)
                self.assertTrue((r.header("WWW-Authenticate") or "").startswith("Bearer"), r.headers)
                self.assertNotIn("Resources", r.json)
        # A write with a bad token writes nothing.
        name = uniq("unauth")
        c = OktaClient(self.server.port, "Bearer " + tampered)
        self.assertScimError(c.post("/Users", okta_create_body(name)), 401)
        c.close()
        r = self.okta.get(q("/Users", filter=f'userName eq "{name}"'))
        self.assertListResponse(r, total=0)

    def test_unknown_ids_are_404_scim_errors(self):
        missing = str(uuid.uuid4())
        for kind in ("Users", "Groups"):
            with self.subTest(kind=kind):
                self.assertScimError(self.okta.get(f"/{kind}/{missing}"), 404)
                self.assertScimError(self.okta.delete(f"/{kind}/{missing}"), 404)
                self.assertScimError(self.okta.patch(f"/{kind}/{missing}",
                                                     patch_op({"op": "replace", "value": {"active": False}}
                                                              if kind == "Users" else
                                                              {"op": "replace", "value": {"displayName": "x"}})), 404)
        self.assertScimError(self.okta.put(f"/Users/{missing}", okta_create_body(uniq())), 404)
        self.assertScimError(self.okta.put(f"/Groups/{missing}", {"schemas": [GROUP_SCHEMA], "displayName": "x"}), 404)
        # A PUT to an unknown id creates nothing.
        r = self.okta.get(q("/Groups", filter='displayName eq "x"'))
        self.assertListResponse(r, total=0)


class OktaUsers(OktaBase):
    def test_lookup_before_create_with_okta_encoding_and_case_differences(self):
        name = "Test.User-" + uuid.uuid4().hex[:8] + "@okta.local"
        # Okta's exact wire form: filter=userName%20eq%20%22...%40okta.local%22&startIndex=1&count=100
        path = q("/Users", filter=f'userName eq "{name}"', startIndex=1, count=100)
        self.assertIn("filter=userName%20eq%20%22Test.User-", path)
        self.assertListResponse(self.okta.get(path), total=0)
        created = self.okta.post("/Users", okta_create_body(name))
        self.assertEqual(created.status, 201, created.text)
        uid = created.json["id"]
        for variant in (name, name.lower(), name.upper()):
            with self.subTest(userName=variant):
                body = self.assertListResponse(
                    self.okta.get(q("/Users", filter=f'userName eq "{variant}"', startIndex=1, count=100)), total=1)
                self.assertEqual(body["startIndex"], 1)
                self.assertEqual(body["Resources"][0]["id"], uid)
                self.assertEqual(body["Resources"][0]["userName"], name)  # stored exactly as sent
        # '+' in a query string is a space in form encoding; Okta encodes spaces as %20 anyway.
        body = self.assertListResponse(self.okta.get(
            "/Users?filter=userName+eq+%22" + urllib.parse.quote(name) + "%22&startIndex=1&count=100"), total=1)
        self.assertEqual(body["Resources"][0]["id"], uid)

    def test_create_with_okta_body(self):
        name = uniq()
        body = okta_create_body(name, external_id="00ujl29u0le5T6Aj10h7")
        r = self.okta.post("/Users", body)
        self.assertEqual(r.status, 201, r.text)
        self.assertIn("application/scim+json", r.header("Content-Type") or "")
        user = r.json
        self.assertTrue(user.get("id"))
        self.assertIn(USER_SCHEMA, user["schemas"])
        self.assertEqual(user["userName"], name)
        self.assertEqual(user["name"], {"givenName": "Test", "familyName": "User"})
        self.assertEqual(user["emails"], [{"primary": True, "value": name, "type": "work"}])
        self.assertEqual(user["displayName"], "Test User")
        self.assertEqual(user["locale"], "en-US")
        self.assertEqual(user["externalId"], "00ujl29u0le5T6Aj10h7")
        self.assertIs(user["active"], True)
        self.assertIn(user.get("groups", []), ([],))
        meta = user["meta"]
        self.assertEqual(meta["resourceType"], "User")
        self.assertRegex(meta["created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
        self.assertEqual(meta["lastModified"], meta["created"])
        self.assertTrue(meta["location"].endswith(f"/scim/v2/demo/Users/{user['id']}"), meta["location"])
        self.assertTrue(meta["location"].startswith("http"), meta["location"])
        self.assertTrue(meta["version"])
        self.assertEqual(r.header("Location"), meta["location"])
        self.assertEqual(r.header("ETag"), meta["version"])
        # The placeholder password is accepted and never comes back, in any form.
        for text in (r.text, self.okta.get(f"/Users/{user['id']}").text,
                     self.okta.get(q("/Users", filter=f'userName eq "{name}"')).text,
                     self.okta.get(q(f"/Users/{user['id']}", attributes="password,userName")).text):
            self.assertNotIn("password", text.lower())
            self.assertNotIn("1mz050nq", text)

    def test_duplicate_create_is_409_uniqueness_also_in_other_case(self):
        name = uniq("Dup.User")
        first = self.okta.post("/Users", okta_create_body(name))
        self.assertEqual(first.status, 201, first.text)
        for variant in (name, name.lower(), name.upper()):
            with self.subTest(userName=variant):
                r = self.okta.post("/Users", okta_create_body(variant))
                self.assertScimError(r, 409, "uniqueness")
                self.assertIn("userName", r.json["detail"])
        body = self.assertListResponse(self.okta.get(q("/Users", filter=f'userName eq "{name}"')), total=1)
        self.assertEqual(body["Resources"][0]["id"], first.json["id"])
        self.assertEqual(body["Resources"][0]["meta"]["version"], first.json["meta"]["version"])

    def test_get_by_id(self):
        created = self.okta.post("/Users", okta_create_body(uniq()))
        self.assertEqual(created.status, 201, created.text)
        r = self.okta.get(f"/Users/{created.json['id']}")
        self.assertEqual(r.status, 200, r.text)
        self.assertIn("application/scim+json", r.header("Content-Type") or "")
        self.assertEqual(r.json, created.json)
        self.assertEqual(r.header("ETag"), created.json["meta"]["version"])

    def test_put_full_object_as_okta_sends_it(self):
        name = uniq()
        created = self.okta.post("/Users", okta_create_body(name)).json
        group = self.create_group(members=[created["id"]])
        # Okta GETs, modifies, and PUTs the whole object back, id, groups and meta included.
        current = self.get_json(f"/Users/{created['id']}")
        self.assertEqual([g["value"] for g in current["groups"]], [group["id"]])
        current["name"]["familyName"] = "Renamed"
        current["displayName"] = "Test Renamed"
        current["emails"] = [{"primary": True, "value": "new." + name, "type": "work"}]
        current["title"] = "Engineer"
        current["groups"] = []  # readOnly: ignored, membership is the group's business
        current["password"] = "1mz050nq"
        r = self.okta.put(f"/Users/{created['id']}", current)
        self.assertEqual(r.status, 200, r.text)
        updated = r.json
        self.assertEqual(updated["id"], created["id"])
        self.assertEqual(updated["userName"], name)
        self.assertEqual(updated["name"], {"givenName": "Test", "familyName": "Renamed"})
        self.assertEqual(updated["displayName"], "Test Renamed")
        self.assertEqual(updated["emails"], [{"primary": True, "value": "new." + name, "type": "work"}])
        self.assertEqual(updated["title"], "Engineer")
        self.assertNotEqual(updated["meta"]["version"], created["meta"]["version"])
        self.assertEqual(updated["meta"]["created"], created["meta"]["created"])
        self.assertGreaterEqual(updated["meta"]["lastModified"], created["meta"]["lastModified"])
        self.assertEqual(r.header("ETag"), updated["meta"]["version"])
        self.assertNotIn("password", r.text.lower())
        again = self.get_json(f"/Users/{created['id']}")
        self.assertEqual(again["displayName"], "Test Renamed")
        self.assertEqual(again["meta"]["version"], updated["meta"]["version"])
        self.assertEqual(self.member_ids(group["id"]), {created["id"]})
        # Removing an attribute is done by leaving it out of the PUT.
        del again["title"]
        r = self.okta.put(f"/Users/{created['id']}", again)
        self.assertEqual(r.status, 200, r.text)
        self.assertNotIn("title", r.json)
        self.assertNotIn("title", self.get_json(f"/Users/{created['id']}"))

    def test_put_may_change_the_case_of_its_own_user_name(self):
        name = uniq("Case.Change")
        user = self.okta.post("/Users", okta_create_body(name)).json
        user["userName"] = name.lower()
        r = self.okta.put(f"/Users/{user['id']}", user)
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json["userName"], name.lower())
        user = r.json
        user["userName"] = name.upper()
        r = self.okta.patch(f"/Users/{user['id']}", patch_op({"op": "replace", "value": {"userName": name.upper()}}))
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json["userName"], name.upper())
        self.assertListResponse(self.okta.get(q("/Users", filter=f'userName eq "{name}"')), total=1)

    def test_aiw_deactivate_and_reactivate_with_put(self):
        user = self.okta.post("/Users", okta_create_body(uniq())).json
        for active in (False, True):
            current = self.get_json(f"/Users/{user['id']}")
            current["active"] = active
            r = self.okta.put(f"/Users/{user['id']}", current)
            self.assertEqual(r.status, 200, r.text)
            self.assertIs(r.json["active"], active)
            self.assertIs(self.get_json(f"/Users/{user['id']}")["active"], active)
            self.assertNotEqual(r.json["meta"]["version"], current["meta"]["version"])
        # A PUT of the unchanged object is not a change.
        current = self.get_json(f"/Users/{user['id']}")
        r = self.okta.put(f"/Users/{user['id']}", current)
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json["meta"]["version"], current["meta"]["version"])

    def test_deactivate_and_reactivate_with_pathless_patch(self):
        user = self.okta.post("/Users", okta_create_body(uniq())).json
        uid = user["id"]
        versions = [user["meta"]["version"]]
        for active in (False, True, False, True):
            r = self.okta.patch(f"/Users/{uid}", {"schemas": [PATCH_OP],
                                                  "Operations": [{"op": "replace", "value": {"active": active}}]})
            self.assertEqual(r.status, 200, r.text)
            self.assertIs(r.json["active"], active)
            self.assertEqual(r.json["id"], uid)
            self.assertEqual(r.header("ETag"), r.json["meta"]["version"])
            self.assertIs(self.get_json(f"/Users/{uid}")["active"], active)
            versions.append(r.json["meta"]["version"])
        self.assertEqual(len(set(versions)), len(versions), f"meta.version must change on every change: {versions}")
        # Reactivated user keeps its profile.
        final = self.get_json(f"/Users/{uid}")
        for key in ("userName", "name", "emails", "displayName", "externalId", "locale"):
            self.assertEqual(final[key], user[key], key)

    def test_password_sync_patch_is_accepted_and_never_returned(self):
        user = self.okta.post("/Users", okta_create_body(uniq())).json
        r = self.okta.patch(f"/Users/{user['id']}", patch_op({"op": "replace", "value": {"password": "n3w-Secret!"}}))
        self.assertEqual(r.status, 200, r.text)
        self.assertNotIn("password", r.text.lower())
        self.assertNotIn("n3w-Secret!", r.text)
        got = self.okta.get(f"/Users/{user['id']}")
        self.assertNotIn("n3w-Secret!", got.text)
        for key in ("userName", "name", "emails", "active", "externalId"):
            self.assertEqual(got.json[key], user[key], key)

    @unittest.skipIf(ON_POSTGRES, "reads the stored hash from the SQLite file")
    def test_the_placeholder_password_is_dropped_unless_the_tenant_stores_passwords(self):
        def stored_hash(uid):
            db = sqlite3.connect(f"file:{self.server.data_dir}/scimd.db?mode=ro", uri=True)
            try:
                return db.execute("SELECT password_hash FROM resources WHERE id = ?", (uid,)).fetchone()[0]
            finally:
                db.close()

        dropped = self.okta.post("/Users", okta_create_body(uniq())).json["id"]
        self.assertIsNone(stored_hash(dropped), "by default the placeholder is not kept (decisions/0008)")
        self.server.cli("tenant", "set", "demo", "passwords", "store", check=True)
        try:
            kept = self.okta.post("/Users", okta_create_body(uniq()))
            self.assertEqual(kept.status, 201)
            self.assertTrue(stored_hash(kept.json["id"]).startswith("$argon2id$"))
            self.assertNotIn("password", kept.text.lower())
        finally:
            self.server.cli("tenant", "set", "demo", "passwords", "server", check=True)

    def test_patch_that_changes_nothing_keeps_version(self):
        user = self.okta.post("/Users", okta_create_body(uniq())).json
        uid = user["id"]
        for body in (patch_op({"op": "replace", "value": {"active": True}}),
                     patch_op({"op": "replace", "value": {"displayName": "Test User"}}),
                     patch_op({"op": "replace", "value": {"id": uid, "active": True}})):
            r = self.okta.patch(f"/Users/{uid}", body)
            self.assertEqual(r.status, 200, r.text)
            self.assertEqual(r.json["meta"]["version"], user["meta"]["version"], body)
            self.assertEqual(r.json["meta"]["lastModified"], user["meta"]["lastModified"], body)
            self.assertEqual(r.header("ETag"), user["meta"]["version"])
        self.assertEqual(self.get_json(f"/Users/{uid}")["meta"], user["meta"])
        # And a real change does bump it.
        r = self.okta.patch(f"/Users/{uid}", patch_op({"op": "replace", "value": {"active": False}}))
        self.assertNotEqual(r.json["meta"]["version"], user["meta"]["version"])


class OktaGroups(OktaBase):
    def test_push_group_create_and_lookup_by_display_name(self):
        name = f"Test SCIMv2 {uuid.uuid4().hex[:8]}"
        r = self.okta.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": name, "members": []})
        self.assertEqual(r.status, 201, r.text)
        group = r.json
        self.assertTrue(group["id"])
        self.assertEqual(group["displayName"], name)
        self.assertIn(group.get("members", []), ([],))
        self.assertEqual(group["meta"]["resourceType"], "Group")
        self.assertTrue(group["meta"]["location"].endswith(f"/Groups/{group['id']}"))
        self.assertEqual(r.header("Location"), group["meta"]["location"])
        self.assertEqual(r.header("ETag"), group["meta"]["version"])
        path = q("/Groups", filter=f'displayName eq "{name}"', startIndex=1, count=100)
        self.assertIn("filter=displayName%20eq%20%22Test%20SCIMv2%20", path)
        body = self.assertListResponse(self.okta.get(path), total=1)
        self.assertEqual(body["Resources"][0]["id"], group["id"])
        self.assertEqual(body["Resources"][0]["displayName"], name)
        self.assertListResponse(self.okta.get(q("/Groups", filter=f'displayName eq "{name} other"')), total=0)

    def test_rename_with_pathless_replace_keeps_members(self):
        u1, u2 = self.create_user()["id"], self.create_user()["id"]
        group = self.create_group(members=[u1, u2])
        new_name = f"Renamed {uuid.uuid4().hex[:8]}"
        r = self.okta.patch(f"/Groups/{group['id']}", patch_op(
            {"op": "replace", "value": {"id": group["id"], "displayName": new_name}}))
        self.assertNoBody(r)
        after = self.get_json(f"/Groups/{group['id']}")
        self.assertEqual(after["displayName"], new_name)
        self.assertEqual(self.member_ids(group["id"]), {u1, u2})
        self.assertNotEqual(after["meta"]["version"], group["meta"]["version"])
        # Okta sends the same rename with every membership update: a no-op then, version unchanged.
        r = self.okta.patch(f"/Groups/{group['id']}", patch_op(
            {"op": "replace", "value": {"id": group["id"], "displayName": new_name}}))
        self.assertNoBody(r)
        again = self.get_json(f"/Groups/{group['id']}")
        self.assertEqual(again["meta"]["version"], after["meta"]["version"])
        self.assertEqual(self.member_ids(group["id"]), {u1, u2})
        # Members see the new name.
        user = self.get_json(f"/Users/{u1}")
        self.assertIn({"value": group["id"], "display": new_name},
                      [{"value": g["value"], "display": g.get("display")} for g in user["groups"]])

    def test_membership_remove_and_add_in_one_patch(self):
        u1 = self.create_user()
        u2 = self.create_user()
        u3 = self.create_user()
        group = self.create_group(members=[u1["id"], u2["id"]])
        r = self.okta.patch(f"/Groups/{group['id']}", {"schemas": [PATCH_OP], "Operations": [
            {"op": "remove", "path": f'members[value eq "{u1["id"]}"]'},
            {"op": "add", "path": "members", "value": [{"value": u3["id"], "display": u3["userName"]}]}]})
        self.assertNoBody(r)
        self.assertEqual(self.member_ids(group["id"]), {u2["id"], u3["id"]})
        members = self.get_json(f"/Groups/{group['id']}")["members"]
        by_id = {m["value"]: m for m in members}
        self.assertEqual(by_id[u3["id"]].get("display"), u3["userName"])
        self.assertTrue(by_id[u3["id"]].get("$ref", "").endswith(f"/Users/{u3['id']}"))
        self.assertEqual(self.get_json(f"/Users/{u1['id']}").get("groups", []), [])
        # The version moved; a membership change is a change.
        self.assertNotEqual(self.get_json(f"/Groups/{group['id']}")["meta"]["version"], group["meta"]["version"])
        # Adding a member twice keeps one.
        r = self.okta.patch(f"/Groups/{group['id']}", patch_op(
            {"op": "add", "path": "members", "value": [{"value": u3["id"], "display": u3["userName"]}]}))
        self.assertNoBody(r)
        self.assertEqual(self.member_ids(group["id"]), {u2["id"], u3["id"]})

    def test_group_patch_with_attributes_query_answers_200_with_body(self):
        u1 = self.create_user()["id"]
        group = self.create_group()
        r = self.okta.patch(q(f"/Groups/{group['id']}", attributes="members"),
                            patch_op({"op": "add", "path": "members", "value": [{"value": u1}]}))
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual([m["value"] for m in r.json["members"]], [u1])

    def test_replace_members_with_empty_list_empties_the_group(self):
        u1, u2 = self.create_user()["id"], self.create_user()["id"]
        group = self.create_group(members=[u1, u2])
        r = self.okta.patch(f"/Groups/{group['id']}", patch_op({"op": "replace", "path": "members", "value": []}))
        self.assertNoBody(r)
        self.assertEqual(self.member_ids(group["id"]), set())
        self.assertEqual(self.get_json(f"/Groups/{group['id']}")["displayName"], group["displayName"])
        # "Push now" on the already empty group again: still 204.
        r = self.okta.patch(f"/Groups/{group['id']}", patch_op({"op": "replace", "path": "members", "value": []}))
        self.assertNoBody(r)
        # A full replace sets exactly the given members.
        r = self.okta.patch(f"/Groups/{group['id']}", patch_op(
            {"op": "replace", "path": "members", "value": [{"value": u2}]}))
        self.assertNoBody(r)
        self.assertEqual(self.member_ids(group["id"]), {u2})

    def test_patch_with_256_members_in_one_add(self):
        users = [self.create_user(uniq("bulk"))["id"] for _ in range(256)]
        group = self.create_group()
        r = self.okta.patch(f"/Groups/{group['id']}", patch_op(
            {"op": "add", "path": "members", "value": [{"value": u, "display": u} for u in users]}))
        self.assertNoBody(r)
        self.assertEqual(self.member_ids(group["id"]), set(users))
        self.assertEqual([g["value"] for g in self.get_json(f"/Users/{users[-1]}")["groups"]], [group["id"]])

    def test_user_groups_reflect_membership(self):
        user = self.create_user()
        g1 = self.create_group(members=[user["id"]])
        g2 = self.create_group()
        self.assertNoBody(self.okta.patch(f"/Groups/{g2['id']}", patch_op(
            {"op": "add", "path": "members", "value": [{"value": user["id"], "display": user["userName"]}]})))
        groups = self.get_json(f"/Users/{user['id']}")["groups"]
        self.assertEqual(sorted((g["value"], g["display"]) for g in groups),
                         sorted([(g1["id"], g1["displayName"]), (g2["id"], g2["displayName"])]))
        for g in groups:
            self.assertTrue(g["$ref"].endswith(f"/Groups/{g['value']}"), g)
        # Also in list responses.
        body = self.assertListResponse(self.okta.get(q("/Users", filter=f'userName eq "{user["userName"]}"')), 1)
        self.assertEqual(sorted(g["value"] for g in body["Resources"][0]["groups"]), sorted([g1["id"], g2["id"]]))
        self.assertNoBody(self.okta.patch(f"/Groups/{g1['id']}", patch_op(
            {"op": "remove", "path": f'members[value eq "{user["id"]}"]'})))
        groups = self.get_json(f"/Users/{user['id']}")["groups"]
        self.assertEqual([g["value"] for g in groups], [g2["id"]])

    def test_deleting_a_user_removes_it_from_its_groups(self):
        u1, u2 = self.create_user()["id"], self.create_user()["id"]
        group = self.create_group(members=[u1, u2])
        self.assertNoBody(self.okta.delete(f"/Users/{u1}"))
        self.assertScimError(self.okta.get(f"/Users/{u1}"), 404)
        self.assertEqual(self.member_ids(group["id"]), {u2})
        self.assertScimError(self.okta.delete(f"/Users/{u1}"), 404)

    def test_aiw_put_group_sets_membership_exactly(self):
        u1, u2, u3 = (self.create_user()["id"] for _ in range(3))
        group = self.create_group(members=[u1, u2])
        self.assertEqual(self.member_ids(group["id"]), {u1, u2})
        name = group["displayName"] + " AIW"
        r = self.okta.put(f"/Groups/{group['id']}", {
            "schemas": [GROUP_SCHEMA], "id": group["id"], "displayName": name,
            "members": [{"value": u2, "display": "two"}, {"value": u3, "display": "three"}]})
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json["displayName"], name)
        self.assertEqual({m["value"] for m in r.json["members"]}, {u2, u3})
        self.assertEqual(self.member_ids(group["id"]), {u2, u3})
        # PUT without `members` leaves membership alone.
        r = self.okta.put(f"/Groups/{group['id']}", {"schemas": [GROUP_SCHEMA], "displayName": name + " 2"})
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(self.member_ids(group["id"]), {u2, u3})
        # PUT with `members: []` empties it.
        r = self.okta.put(f"/Groups/{group['id']}", {"schemas": [GROUP_SCHEMA], "displayName": name, "members": []})
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(self.member_ids(group["id"]), set())

    def test_unknown_member_is_skipped_and_known_members_added(self):
        u1, u2 = self.create_user()["id"], self.create_user()["id"]
        group = self.create_group()
        ghost = str(uuid.uuid4())
        r = self.okta.patch(f"/Groups/{group['id']}", patch_op(
            {"op": "add", "path": "members", "value": [{"value": u1}, {"value": ghost}, {"value": u2}]}))
        self.assertNoBody(r)
        self.assertEqual(self.member_ids(group["id"]), {u1, u2})
        # Also in POST and PUT bodies.
        r = self.okta.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": f"G {uuid.uuid4().hex[:8]}",
                                       "members": [{"value": ghost}, {"value": u1}]})
        self.assertEqual(r.status, 201, r.text)
        self.assertEqual(self.member_ids(r.json["id"]), {u1})

    def test_delete_group(self):
        user = self.create_user()
        group = self.create_group(members=[user["id"]])
        r = self.okta.delete(f"/Groups/{group['id']}")
        self.assertNoBody(r)
        self.assertScimError(self.okta.get(f"/Groups/{group['id']}"), 404)
        self.assertScimError(self.okta.delete(f"/Groups/{group['id']}"), 404)
        self.assertListResponse(self.okta.get(q("/Groups", filter=f'displayName eq "{group["displayName"]}"')), 0)
        self.assertEqual(self.get_json(f"/Users/{user['id']}").get("groups", []), [])
        # The user itself is untouched.
        self.assertEqual(self.get_json(f"/Users/{user['id']}")["meta"]["version"], user["meta"]["version"])


class OktaImport(OktaBase):
    """A fresh server of its own, so the tenant holds exactly the users this class creates."""

    def test_import_paging_every_user_exactly_once_in_stable_order(self):
        created = [self.create_user(uniq(f"import{i}"))["id"] for i in range(7)]
        seen = []
        for start, expected in ((1, 3), (4, 3), (7, 1)):
            r = self.okta.get(q("/Users", startIndex=start, count=3))
            body = self.assertListResponse(r, total=7)
            self.assertEqual(body["startIndex"], start)
            self.assertEqual(body["itemsPerPage"], expected)
            self.assertEqual(len(body["Resources"]), expected)
            seen += [u["id"] for u in body["Resources"]]
        self.assertEqual(sorted(seen), sorted(created))
        self.assertEqual(len(seen), len(set(seen)))
        # Past the end: empty page, same total.
        body = self.assertListResponse(self.okta.get(q("/Users", startIndex=8, count=3)), total=7)
        self.assertEqual(body["Resources"], [])
        self.assertEqual(body["startIndex"], 8)
        # count=0: only the total; a negative count is 0 and a startIndex below 1 is 1 (RFC 7644 §3.4.2.4).
        body = self.assertListResponse(self.okta.get(q("/Users", startIndex=1, count=0)), total=7)
        self.assertEqual(body["Resources"], [])
        body = self.assertListResponse(self.okta.get(q("/Users", startIndex=1, count=-5)), total=7)
        self.assertEqual(body["Resources"], [])
        body = self.assertListResponse(self.okta.get(q("/Users", startIndex=0, count=3)), total=7)
        self.assertEqual(body["startIndex"], 1)
        self.assertEqual([u["id"] for u in body["Resources"]], seen[:3])
        body = self.assertListResponse(self.okta.get(q("/Users", startIndex=-4, count=3)), total=7)
        self.assertEqual(body["startIndex"], 1)
        # Order is stable regardless of page size and across repeats, also after an update.
        self.assertEqual(self.okta.patch(f"/Users/{created[0]}",
                                         patch_op({"op": "replace", "value": {"active": False}})).status, 200)
        whole = [u["id"] for u in self.assertListResponse(self.okta.get(q("/Users", startIndex=1, count=100)), 7)
                 ["Resources"]]
        self.assertEqual(whole, seen)
        for size in (1, 2, 5):
            order = []
            for start in range(1, 8, size):
                order += [u["id"] for u in self.assertListResponse(
                    self.okta.get(q("/Users", startIndex=start, count=size)), total=7)["Resources"]]
            self.assertEqual(order, seen, f"page size {size}")

    def test_import_groups_paging(self):
        created = [self.create_group()["id"] for _ in range(5)]
        seen = []
        for start, expected in ((1, 2), (3, 2), (5, 1)):
            body = self.assertListResponse(self.okta.get(q("/Groups", startIndex=start, count=2)), total=5)
            self.assertEqual(body["startIndex"], start)
            self.assertEqual(body["itemsPerPage"], expected)
            seen += [g["id"] for g in body["Resources"]]
        self.assertEqual(sorted(seen), sorted(created))
        self.assertEqual(len(seen), len(set(seen)))


del OktaBase  # not a test class itself

if __name__ == "__main__":
    unittest.main()
