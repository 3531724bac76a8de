"""Bad input gets the right SCIM error (RFC 7644 §3.12) and changes nothing.

Each test snapshots what the tenant holds (counts, and the documents it touches) before the bad
request and checks that it is all still the same afterwards."""
import unittest
import uuid

from harness import Client, ENTERPRISE, GROUP_SCHEMA, PATCH_OP, ServerTestCase, USER_SCHEMA, new_user, patch_op, q

SCIM_JSON = "application/scim+json"



def uniq() -> str:
    return f"err.{uuid.uuid4().hex[:12]}@example.com"


class Errors(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        c = cls.server.client()
        r = c.post("/Users", new_user(uniq(), displayName="Existing"))
        assert r.status == 201, r.text
        cls.user = r.json
        r = c.post("/Groups", {"displayName": f"Existing {uuid.uuid4().hex[:8]}", "members": [{"value": cls.user["id"]}]})
        assert r.status == 201, r.text
        cls.group = r.json
        c.close()

    # -- helpers ---------------------------------------------------------------------------------

    def snapshot(self) -> tuple:
        users = self.scim.get("/Users?startIndex=1&count=1000")
        groups = self.scim.get("/Groups?startIndex=1&count=1000")
        self.assertEqual(users.status, 200, users.text)
        self.assertEqual(groups.status, 200, groups.text)
        return users.json, groups.json

    def assertUnchanged(self, before: tuple):
        self.assertEqual(self.snapshot(), before, "a rejected request must change nothing")

    def assertNamed(self, response, *names: str):
        """The error's detail names the attribute (so a person can act on it)."""
        detail = response.json.get("detail", "")
        for name in names:
            self.assertIn(name.lower(), detail.lower(), response.text)

    def post_raw(self, path: str, raw: bytes, content_type: str = SCIM_JSON):
        return self.scim.request("POST", path, raw=raw, headers={"Content-Type": content_type})

    # -- malformed bodies ------------------------------------------------------------------------

    def test_malformed_json_is_400_invalid_syntax(self):
        before = self.snapshot()
        name = uniq()
        for raw in (b'{"userName": "' + name.encode() + b'", ', b'{"userName": "' + name.encode() + b'"}}',
                    b"{userName: 'x'}", b"", b"\xff\xfe{}", b'{"userName": "' + name.encode() + b'",}'):
            with self.subTest(body=raw[:30]):
                self.assertScimError(self.post_raw("/Users", raw), 400, "invalidSyntax")
                self.assertScimError(self.post_raw("/Groups", raw), 400, "invalidSyntax")
                self.assertScimError(self.scim.request("PUT", f"/Users/{self.user['id']}", raw=raw), 400,
                                     "invalidSyntax")
                self.assertScimError(self.scim.request("PATCH", f"/Users/{self.user['id']}", raw=raw), 400,
                                     "invalidSyntax")
        self.assertUnchanged(before)

    def test_numbers_beyond_a_double_are_400_and_the_server_lives_on(self):
        # tests/fuzz found this one: nlohmann's out_of_range escaped ParseJson and ended the process.
        before = self.snapshot()
        for raw in (b'{"userName": "' + uniq().encode() + b'", "x": 1e999}', b"1e999",
                    b'{"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "count": -1e400}'):
            with self.subTest(body=raw[:40]):
                self.assertScimError(self.post_raw("/Users", raw), 400, "invalidSyntax")
                self.assertScimError(self.post_raw("/Users/.search", raw), 400, "invalidSyntax")
                self.assertScimError(self.scim.request("PATCH", f"/Users/{self.user['id']}", raw=raw), 400,
                                     "invalidSyntax")
        self.assertEqual(self.scim.get(f"/Users/{self.user['id']}").status, 200)
        self.assertUnchanged(before)

    def test_body_not_an_object_is_400_invalid_syntax(self):
        before = self.snapshot()
        for body in ([], [new_user(uniq())], "user", 42, None, True):
            with self.subTest(body=body):
                raw = __import__("json").dumps(body).encode()
                self.assertScimError(self.post_raw("/Users", raw), 400, "invalidSyntax")
                self.assertScimError(self.post_raw("/Groups", raw), 400, "invalidSyntax")
                self.assertScimError(self.scim.request("PUT", f"/Users/{self.user['id']}", raw=raw), 400,
                                     "invalidSyntax")
                self.assertScimError(self.scim.request("PATCH", f"/Groups/{self.group['id']}", raw=raw), 400,
                                     "invalidSyntax")
        self.assertUnchanged(before)

    # -- wrong types, missing and unknown attributes ---------------------------------------------

    def test_wrong_types_are_400_invalid_value_naming_the_attribute(self):
        before = self.snapshot()
        cases = [
            ("userName", {"userName": 42}),
            ("active", {"active": "maybe"}),
            ("active", {"active": 1}),
            ("name", {"name": ["Given", "Family"]}),
            ("name", {"name": "Given Family"}),
            ("emails", {"emails": [{"value": 7}]}),
            ("emails", {"emails": [{"value": "a@x", "primary": "sometimes"}]}),
            ("displayName", {"displayName": {"text": "x"}}),
            ("manager", {ENTERPRISE: {"manager": ["a", "b"]}}),
        ]
        for attr, override in cases:
            with self.subTest(attr=attr, value=override):
                name = uniq()
                body = new_user(name)
                body.update(override)
                if ENTERPRISE in override:
                    body["schemas"] = [USER_SCHEMA, ENTERPRISE]
                r = self.scim.post("/Users", body)
                self.assertScimError(r, 400, "invalidValue")
                self.assertNamed(r, attr)
                # The same body as a PUT over an existing user.
                if attr != "userName":
                    body["userName"] = self.user["userName"]
                r = self.scim.put(f"/Users/{self.user['id']}", body)
                self.assertScimError(r, 400, "invalidValue")
                self.assertNamed(r, attr)
        # And as PATCH values.
        for path, value, attr in (("active", "maybe", "active"), ("userName", 42, "userName"),
                                  ("name", ["x"], "name"), ("emails", [{"value": 7}], "emails")):
            with self.subTest(patch=path):
                r = self.scim.patch(f"/Users/{self.user['id']}", patch_op({"op": "replace", "path": path,
                                                                           "value": value}))
                self.assertScimError(r, 400, "invalidValue")
                self.assertNamed(r, attr)
        self.assertUnchanged(before)

    def test_emails_as_a_bare_string_is_400_invalid_value(self):
        # emails is a multi-valued complex attribute (RFC 7643 §4.1.2): a bare string is the wrong type,
        # not an email address to store.
        before = self.snapshot()
        r = self.scim.post("/Users", new_user(uniq(), emails="not-a-list@example.com"))
        self.assertScimError(r, 400, "invalidValue")
        self.assertNamed(r, "emails")
        r = self.scim.put(f"/Users/{self.user['id']}", new_user(self.user["userName"], emails="other@example.com"))
        self.assertScimError(r, 400, "invalidValue")
        self.assertNamed(r, "emails")
        self.assertUnchanged(before)

    def test_missing_or_empty_user_name_is_400_invalid_value(self):
        before = self.snapshot()
        for body in ({"schemas": [USER_SCHEMA], "name": {"givenName": "No"}},
                     {"schemas": [USER_SCHEMA], "userName": ""},
                     {"schemas": [USER_SCHEMA], "userName": None}):
            with self.subTest(body=body):
                r = self.scim.post("/Users", body)
                self.assertScimError(r, 400, "invalidValue")
                self.assertNamed(r, "userName")
                r = self.scim.put(f"/Users/{self.user['id']}", body)
                self.assertScimError(r, 400, "invalidValue")
                self.assertNamed(r, "userName")
        r = self.scim.patch(f"/Users/{self.user['id']}", patch_op({"op": "remove", "path": "userName"}))
        self.assertEqual(r.status, 400, r.text)
        self.assertScimError(r, 400)
        self.assertNamed(r, "userName")
        # Groups need a displayName.
        r = self.scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "members": []})
        self.assertScimError(r, 400, "invalidValue")
        self.assertNamed(r, "displayName")
        self.assertUnchanged(before)

    def test_unknown_attribute_is_400_naming_it(self):
        before = self.snapshot()
        r = self.scim.post("/Users", new_user(uniq(), favoriteColor="blue"))
        self.assertScimError(r, 400)
        self.assertIn(r.json.get("scimType"), ("invalidSyntax", "invalidValue"), r.text)
        self.assertNamed(r, "favoriteColor")
        r = self.scim.post("/Users", new_user(uniq(), name={"givenName": "A", "middleNameTypo": "B"}))
        self.assertScimError(r, 400)
        self.assertNamed(r, "middleNameTypo")
        r = self.scim.post("/Groups", {"displayName": "G " + uuid.uuid4().hex, "owner": "me"})
        self.assertScimError(r, 400)
        self.assertNamed(r, "owner")
        # The same attribute twice, in different case.
        body = new_user(uniq())
        body["USERNAME"] = uniq()
        r = self.scim.post("/Users", body)
        self.assertScimError(r, 400)
        self.assertNamed(r, "userName")
        self.assertUnchanged(before)

    def test_undeclared_extension_urn_is_400_naming_it(self):
        before = self.snapshot()
        urn = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
        body = new_user(uniq())
        body["schemas"] = [USER_SCHEMA, urn]
        body[urn] = {"badge": "42"}
        r = self.scim.post("/Users", body)
        self.assertScimError(r, 400)
        self.assertNamed(r, urn)
        # Only in `schemas`, or only as a key.
        body = new_user(uniq())
        body["schemas"] = [USER_SCHEMA, urn]
        r = self.scim.post("/Users", body)
        self.assertScimError(r, 400)
        self.assertNamed(r, urn)
        body = new_user(uniq())
        body[urn] = {"badge": "42"}
        r = self.scim.post("/Users", body)
        self.assertScimError(r, 400)
        self.assertNamed(r, urn)
        # The enterprise extension is a User's, not a Group's.
        r = self.scim.post("/Groups", {"schemas": [GROUP_SCHEMA, ENTERPRISE], "displayName": "G " + uuid.uuid4().hex,
                                       ENTERPRISE: {"department": "x"}})
        self.assertScimError(r, 400)
        self.assertNamed(r, ENTERPRISE)
        self.assertUnchanged(before)

    # -- PATCH -----------------------------------------------------------------------------------

    def test_bad_patch_requests_are_400(self):
        before = self.snapshot()
        uid = self.user["id"]
        cases = [
            ("invalidSyntax", {"schemas": [PATCH_OP], "Operations": [{"op": "frobnicate", "path": "active",
                                                                       "value": False}]}),
            ("invalidSyntax", {"schemas": [PATCH_OP], "Operations": [{"path": "active", "value": False}]}),
            ("invalidSyntax", {"schemas": [PATCH_OP]}),
            ("invalidSyntax", {"schemas": [PATCH_OP], "Operations": []}),
            ("invalidSyntax", {"schemas": [PATCH_OP], "Operations": {"op": "replace", "value": {"active": False}}}),
            ("invalidSyntax", {"Operations": [{"op": "replace", "value": {"active": False}}]}),
            ("invalidSyntax", {"schemas": [USER_SCHEMA], "Operations": [{"op": "replace",
                                                                          "value": {"active": False}}]}),
            ("invalidPath", patch_op({"op": "replace", "path": 'emails[type eq "work"', "value": "x@y"})),
            ("invalidPath", patch_op({"op": "replace", "path": "favoriteColor", "value": "blue"})),
            ("invalidPath", patch_op({"op": "replace", "path": "name.middleNameTypo", "value": "x"})),
            ("invalidPath", patch_op({"op": "add", "path": "members", "value": [{"value": uid}]})),
            ("invalidValue", patch_op({"op": "replace", "path": "active"})),
            ("noTarget", patch_op({"op": "remove"})),
        ]
        for scim_type, body in cases:
            with self.subTest(body=body):
                r = self.scim.patch(f"/Users/{uid}", body)
                self.assertScimError(r, 400, scim_type)
        # An error in the second operation undoes the first.
        r = self.scim.patch(f"/Users/{uid}", patch_op({"op": "replace", "path": "displayName", "value": "Changed"},
                                                      {"op": "replace", "path": "favoriteColor", "value": "blue"}))
        self.assertScimError(r, 400, "invalidPath")
        self.assertIn("Operations[1]", r.json["detail"])
        r = self.scim.patch(f"/Groups/{self.group['id']}", patch_op(
            {"op": "add", "path": "members", "value": [{"value": uid}]},
            {"op": "replace", "path": "displayName", "value": 17}))
        self.assertScimError(r, 400, "invalidValue")
        self.assertUnchanged(before)

    def test_patch_of_read_only_id_is_400_mutability(self):
        before = self.snapshot()
        for kind, rid in (("Users", self.user["id"]), ("Groups", self.group["id"])):
            for op in ("replace", "add", "remove"):
                with self.subTest(kind=kind, op=op):
                    body = {"op": op, "path": "id"}
                    if op != "remove":
                        body["value"] = str(uuid.uuid4())
                    r = self.scim.patch(f"/{kind}/{rid}", patch_op(body))
                    self.assertScimError(r, 400, "mutability")
                    self.assertNamed(r, "id")
        r = self.scim.patch(f"/Users/{self.user['id']}", patch_op(
            {"op": "replace", "path": "meta.created", "value": "2001-01-01T00:00:00Z"}))
        self.assertScimError(r, 400, "mutability")
        r = self.scim.patch(f"/Users/{self.user['id']}", patch_op(
            {"op": "add", "path": "groups", "value": [{"value": self.group["id"]}]}))
        self.assertScimError(r, 400, "mutability")
        self.assertUnchanged(before)

    def test_uniqueness_conflicts_on_update_change_nothing(self):
        other = self.scim.post("/Users", new_user(uniq()))
        self.assertEqual(other.status, 201, other.text)
        before = self.snapshot()
        taken = self.user["userName"].upper()
        r = self.scim.patch(f"/Users/{other.json['id']}", patch_op(
            {"op": "replace", "path": "userName", "value": taken}))
        self.assertScimError(r, 409, "uniqueness")
        body = new_user(taken)
        r = self.scim.put(f"/Users/{other.json['id']}", body)
        self.assertScimError(r, 409, "uniqueness")
        self.assertUnchanged(before)

    # -- transport: size, media type, endpoints, methods -----------------------------------------

    def test_oversize_body_is_413_and_creates_nothing(self):
        before = self.snapshot()
        name = "Huge " + uuid.uuid4().hex
        r = self.scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": name + "x" * (2 * 1024 * 1024)})
        self.assertScimError(r, 413)
        self.scim.close()
        r = self.scim.post("/Users", new_user(uniq(), displayName="y" * (2 * 1024 * 1024)))
        self.assertScimError(r, 413)
        self.scim.close()
        r = self.scim.patch(f"/Users/{self.user['id']}", patch_op(
            {"op": "replace", "path": "displayName", "value": "z" * (1024 * 1024 + 10)}))
        self.assertScimError(r, 413)
        self.scim.close()
        self.assertUnchanged(before)
        # A body just under the limit is fine.
        r = self.scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": name + "x" * (512 * 1024)})
        self.assertEqual(r.status, 201, r.text[:300])
        self.assertEqual(self.scim.delete(f"/Groups/{r.json['id']}").status, 204)

    def test_text_plain_is_415(self):
        before = self.snapshot()
        import json
        raw = json.dumps(new_user(uniq())).encode()
        for method, path in (("POST", "/Users"), ("PUT", f"/Users/{self.user['id']}")):
            r = self.scim.request(method, path, raw=raw, headers={"Content-Type": "text/plain"})
            self.assertScimError(r, 415)
        r = self.scim.request("PATCH", f"/Users/{self.user['id']}", headers={"Content-Type": "text/plain"},
                              raw=json.dumps(patch_op({"op": "replace", "value": {"active": False}})).encode())
        self.assertScimError(r, 415)
        r = self.scim.request("POST", "/Groups", headers={"Content-Type": "application/x-www-form-urlencoded"},
                              raw=b"displayName=x")
        self.assertScimError(r, 415)
        self.assertUnchanged(before)

    def test_application_json_is_accepted_and_answered_as_scim_json(self):
        import json
        name = uniq()
        for content_type in ("application/json", "application/json; charset=utf-8",
                             "application/scim+json; charset=utf-8"):
            with self.subTest(content_type=content_type):
                name = uniq()
                r = self.scim.request("POST", "/Users", raw=json.dumps(new_user(name)).encode(),
                                      headers={"Content-Type": content_type, "Accept": "application/json"})
                self.assertEqual(r.status, 201, r.text)
                self.assertIn(SCIM_JSON, r.header("Content-Type") or "")
                uid = r.json["id"]
                r = self.scim.request("PATCH", f"/Users/{uid}", headers={"Content-Type": content_type},
                                      raw=json.dumps(patch_op({"op": "replace", "value": {"active": False}})).encode())
                self.assertEqual(r.status, 200, r.text)
                self.assertIs(r.json["active"], False)
                r = self.scim.request("PUT", f"/Users/{uid}", headers={"Content-Type": content_type},
                                      raw=json.dumps(new_user(name, title="T")).encode())
                self.assertEqual(r.status, 200, r.text)
                self.assertEqual(r.json["title"], "T")

    def test_responses_carry_scim_content_type(self):
        uid = self.user["id"]
        for r in (self.scim.get("/Users"), self.scim.get(f"/Users/{uid}"), self.scim.get("/Groups"),
                  self.scim.post("/Users", new_user(uniq())), self.scim.get(f"/Users/{uuid.uuid4()}"),
                  self.scim.patch(f"/Users/{uid}", patch_op({"op": "replace", "value": {"displayName": "Existing"}})),
                  self.scim.get("/ServiceProviderConfig"), self.scim.get("/Schemas"), self.scim.get("/ResourceTypes")):
            self.assertIn(SCIM_JSON, r.header("Content-Type") or "", r.text[:200])

    def test_unknown_endpoint_is_404_scim_error(self):
        for path in ("/Widgets", "/Users/a/b", "/Groups/x/members", ""):
            with self.subTest(path=path):
                self.assertScimError(self.scim.get(path), 404)
        for absolute in ("/scim/v3/demo/Users", "/nope", "/scim/v2demo/Users"):
            with self.subTest(path=absolute):
                self.assertScimError(self.scim.get(absolute, absolute=True), 404)

    def test_wrong_method_is_405(self):
        before = self.snapshot()
        uid = self.user["id"]
        for method, path in (("DELETE", "/Users"), ("PUT", "/Users"), ("PATCH", "/Groups"), ("POST", f"/Users/{uid}"),
                             ("DELETE", "/ServiceProviderConfig"), ("POST", "/Schemas")):
            with self.subTest(method=method, path=path):
                r = self.scim.request(method, path, body={} if method in ("PUT", "PATCH", "POST") else None)
                self.assertScimError(r, 405)
                self.assertTrue(r.header("Allow"), r.headers)
                self.assertNotIn(method, r.header("Allow"))
        self.assertUnchanged(before)

    # -- filters ---------------------------------------------------------------------------------

    def test_filter_syntax_errors_are_400_invalid_filter(self):
        for expr in ('userName eq', 'userName eq "unterminated', '(userName eq "x"', 'userName "x"',
                     'userName eq "x" and', 'userName zz "x"', 'userName eq "x")'):
            for kind in ("/Users", "/Groups"):
                with self.subTest(filter=expr, kind=kind):
                    self.assertScimError(self.scim.get(q(kind, filter=expr)), 400, "invalidFilter")

    def test_filter_on_unknown_attribute_is_400_invalid_filter(self):
        for kind, expr in (("/Users", 'favoriteColor eq "blue"'), ("/Users", 'name.middleNameTypo eq "x"'),
                           ("/Groups", 'userName eq "x"'), ("/Users", 'userName eq "x" and bogus eq "y"')):
            with self.subTest(filter=expr):
                r = self.scim.get(q(kind, filter=expr))
                self.assertScimError(r, 400, "invalidFilter")

    def test_bad_paging_parameters_are_400(self):
        for params in ({"count": "ten"}, {"startIndex": "first"}, {"count": "1.5"}):
            with self.subTest(params=params):
                self.assertScimError(self.scim.get(q("/Users", **params)), 400)

    # -- not implemented -------------------------------------------------------------------------

    def test_me_is_501(self):
        before = self.snapshot()
        self.assertScimError(self.scim.get("/Me"), 501)
        shared = Client(self.server.port, "Bearer " + self.server.demo_token, prefix="/scim/v2")
        self.assertScimError(shared.get("/Me"), 501)
        shared.close()
        self.assertUnchanged(before)


if __name__ == "__main__":
    unittest.main()
