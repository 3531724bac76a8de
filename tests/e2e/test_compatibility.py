"""Per-tenant compatibility (lenient / strict), IdP profiles and the unknown-members choice, set
with `scimd tenant set` while the server runs: each takes effect on the next request. Lenient
tenants accept IdP dialects and the access log names each quirk used and the IdP; strict tenants
refuse them as RFC 7643/7644 would, say what a lenient tenant would accept, and change nothing."""
import json
import time
import unittest
import uuid

from harness import ENTERPRISE, ServerTestCase, new_user, patch_op

ENTRA_DISABLE = patch_op({"op": "Replace", "path": "active", "value": "False"})


def uniq() -> str:
    return f"compat.{uuid.uuid4().hex[:10]}@example.com"


class Compatibility(ServerTestCase):
    def setUp(self):
        super().setUp()
        self.set("compatibility", "lenient")
        self.set("profile", "auto")
        self.set("unknown_members", "server")
        self.set("auth_scheme", "any")

    def set(self, key: str, value: str):
        result = self.server.cli("tenant", "set", "demo", key, value)
        self.assertEqual(result.returncode, 0, result.stderr)

    def log_line(self, needle: str, method: str | None = None, note: str | None = None) -> dict:
        """The access-log line of the last request (of `method`, with `note` in its note, if given)
        whose path contains `needle`. The server writes a line after sending the response, so a
        request's line may arrive a little after its response: wait for the one that is meant."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            lines = [json.loads(l) for l in self.server.output if l.startswith("{") and needle in l]
            lines = [l for l in lines if (method is None or l["method"] == method) and
                     (note is None or note in l.get("note", ""))]
            if lines:
                return lines[-1]
            time.sleep(0.05)
        self.fail(f"no access-log line for {needle}")

    def user(self) -> dict:
        r = self.scim.post("/Users", new_user(uniq()))
        self.assertEqual(r.status, 201, r.text)
        return r.json

    def test_lenient_accepts_entra_and_logs_the_quirks_and_the_idp(self):
        user = self.user()
        r = self.scim.patch(f"/Users/{user['id']}", ENTRA_DISABLE)
        self.assertEqual(r.status, 200, r.text)
        self.assertIs(r.json["active"], False)
        line = self.log_line(user["id"], "PATCH")
        self.assertEqual(line["idp"], "entra")
        self.assertIn("quirks: capitalised-op@Operations[0], boolean-string@active", line["note"])

    def test_okta_is_told_by_its_user_agent_and_its_bare_token_is_a_quirk(self):
        okta = self.server.client(scheme="")
        # The log has paths, not queries (they may carry secrets): look up an id to find the line.
        r = okta.get(f"/Users/okta-{uuid.uuid4().hex[:6]}", headers={"User-Agent": "Okta SCIM Client 1.0.0"})
        self.assertScimError(r, 404)
        okta.close()
        line = self.log_line("okta-")
        self.assertEqual(line["idp"], "okta")
        self.assertIn("bare-token@Authorization", line["note"])

    def test_a_configured_profile_wins(self):
        self.set("profile", "onelogin")
        r = self.scim.get(f"/Users/profiled-{uuid.uuid4().hex[:6]}", headers={"User-Agent": "Okta SCIM Client 1.0.0"})
        self.assertScimError(r, 404)
        self.assertEqual(self.log_line("profiled-")["idp"], "onelogin")

    def test_strict_refuses_each_dialect_explains_and_changes_nothing(self):
        user = self.user()
        path = f"/Users/{user['id']}"
        self.set("compatibility", "strict")
        cases = [
            (ENTRA_DISABLE, "invalidSyntax", "capitalised-op"),
            (patch_op({"op": "replace", "path": "active", "value": "False"}), "invalidValue", "boolean-string"),
            (patch_op({"op": "replace", "value": {"name.givenName": "X"}}), "invalidPath", "path-in-value-key"),
            (patch_op({"op": "add", "path": f"{ENTERPRISE}:manager", "value": "271"}), "invalidValue",
             "bare-string-for-complex"),
            (patch_op({"op": "replace", "path": 'emails[type eq "home"].value', "value": "h@x"}), "noTarget",
             "create-from-filter"),
            (patch_op({"op": "remove", "path": "emails", "value": [{"value": user["userName"]}]}), "invalidValue",
             "remove-with-value"),
        ]
        for body, scim_type, quirk in cases:
            r = self.scim.patch(path, body)
            self.assertScimError(r, 400, scim_type)
            self.assertIn("compatibility is strict", r.json["detail"])
            self.assertIn(quirk, r.json["detail"])
        after = self.scim.get(path).json
        self.assertEqual(after["meta"]["version"], user["meta"]["version"], "a refused request changes nothing")
        refused = "refused quirks: remove-with-value"
        self.assertIn(refused, self.log_line(user["id"], "PATCH", note=refused)["note"])

        # The same changes in RFC form go through.
        r = self.scim.patch(path, patch_op({"op": "replace", "path": "active", "value": False},
                                           {"op": "replace", "value": {"name": {"givenName": "X"}}},
                                           {"op": "add", "path": f"{ENTERPRISE}:manager", "value": {"value": "271"}}))
        self.assertEqual(r.status, 200, r.text)
        self.assertIs(r.json["active"], False)

    def test_auth_scheme_sets_the_form_admins_are_told_to_paste(self):
        token = self.server.demo_token

        def status(authorization: str) -> int:
            client = self.server.client(token="", scheme="")
            client.authorization = authorization
            response = client.get("/Users?count=1")
            client.close()
            return response

        # A vendor's guide says "Token token=<key>": that form works even for a strict tenant.
        self.set("compatibility", "strict")
        self.set("auth_scheme", "Token token=")
        self.assertEqual(status("Token token=" + token).status, 200)
        self.assertEqual(status("token TOKEN=" + token).status, 200)  # the scheme text in any case
        self.assertEqual(status("Bearer " + token).status, 200)
        refused = status(token)
        self.assertEqual(refused.status, 401)
        self.assertIn("'Authorization: Token token=<token>'", refused.json["detail"])
        self.assertEqual(status("Token token=" + token + " extra").status, 401)
        # "bearer": only the RFC 6750 form, even for a lenient tenant.
        self.set("compatibility", "lenient")
        self.set("auth_scheme", "bearer")
        self.assertEqual(status("Bearer " + token).status, 200)
        self.assertEqual(status(token).status, 401)
        self.assertEqual(status("Token token=" + token).status, 401)
        # "any" (the default): a lenient tenant takes every form again.
        self.set("auth_scheme", "any")
        self.assertEqual(status(token).status, 200)
        self.assertEqual(status("Token token=" + token).status, 200)

    def test_strict_bodies_filters_and_headers(self):
        self.set("compatibility", "strict")
        self.assertScimError(self.scim.post("/Users", {"userName": uniq()}), 400, "invalidSyntax")
        self.assertScimError(self.scim.post("/Users", new_user(uniq(), active="true")), 400, "invalidValue")
        self.assertScimError(self.scim.post("/Users", new_user(uniq(), emails={"value": "a@x"})), 400, "invalidValue")
        r = self.scim.get('/Users?filter=emails[type eq "work"].value eq "a@x"')
        self.assertScimError(r, 400, "invalidFilter")
        self.assertIn("compatibility is strict", r.json["detail"])
        self.assertEqual(self.scim.get('/Users?filter=emails[type eq "work" and value eq "a@x"]').status, 200)
        # Only "Bearer <token>": Okta's header mode (the bare token) is refused.
        bare = self.server.client(scheme="")
        self.assertScimError(bare.get("/Users"), 401)
        bare.close()
        self.assertEqual(self.scim.post("/Users", new_user(uniq())).status, 201)

    def test_entra_urn_spellings_of_extension_attributes(self):
        user = self.user()
        r = self.scim.patch(f"/Users/{user['id']}", patch_op(
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:2.0:enterprise:department", "value": "R&D"},
            {"op": "Add", "path": f"{ENTERPRISE}.costCenter:value", "value": "4711"}))
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json[ENTERPRISE], {"department": "R&D", "costCenter": "4711"})
        self.assertIn("entra-urn-spelling", self.log_line(user["id"], "PATCH")["note"])
        self.set("compatibility", "strict")
        r = self.scim.patch(f"/Users/{user['id']}", patch_op(
            {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:2.0:enterprise:department", "value": "x"}))
        self.assertScimError(r, 400, "invalidPath")
        self.assertEqual(self.scim.get(f"/Users/{user['id']}").json[ENTERPRISE]["department"], "R&D")

    def test_strict_keeps_stringified_roles_as_text(self):
        user = self.user()
        role = json.dumps({"id": "1", "value": "Admin", "displayName": "Admin"})
        self.set("compatibility", "strict")
        r = self.scim.patch(f"/Users/{user['id']}", patch_op({"op": "add", "path": "roles", "value": [{"value": role}]}))
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json["roles"][0]["value"], role)
        self.set("compatibility", "lenient")
        other = self.user()
        r = self.scim.patch(f"/Users/{other['id']}", patch_op({"op": "add", "path": "roles", "value": [{"value": role}]}))
        self.assertEqual(r.json["roles"][0]["value"], "Admin")

    def test_strict_bulk_operations_are_strict_too(self):
        self.set("compatibility", "strict")
        r = self.scim.post("/Bulk", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "a", "data": new_user(uniq(), active="True")}]})
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json["Operations"][0]["status"], "400")

    def test_unknown_members_per_tenant(self):
        group = self.scim.post("/Groups", {"displayName": f"Compat {uuid.uuid4().hex[:6]}"}).json
        add_ghost = patch_op({"op": "add", "path": "members", "value": [{"value": "ghost-" + uuid.uuid4().hex}]})
        self.assertEqual(self.scim.patch(f"/Groups/{group['id']}", add_ghost).status, 204)
        self.set("unknown_members", "reject")
        self.assertScimError(self.scim.patch(f"/Groups/{group['id']}", add_ghost), 400, "invalidValue")
        self.set("unknown_members", "skip")
        self.assertEqual(self.scim.patch(f"/Groups/{group['id']}", add_ghost).status, 204)

    def test_cli_contract(self):
        show = self.server.cli("tenant", "show", "demo")
        self.assertEqual(show.returncode, 0, show.stderr)
        self.assertRegex(show.stdout, r"compatibility\s+lenient")
        self.assertRegex(show.stdout, r"profile\s+auto")
        for args, code, needle in ((("demo", "compatibility", "loose"), 2, "lenient, strict"),
                                   (("demo", "colour", "blue"), 2, "profile, compatibility, unknown_members"),
                                   (("nobody", "profile", "okta"), 3, "no tenant named 'nobody'")):
            result = self.server.cli("tenant", "set", *args)
            self.assertEqual(result.returncode, code, result.stderr)
            self.assertIn(needle, result.stderr)
        self.assertRegex(self.server.cli("tenant", "show", "demo").stdout, r"compatibility\s+lenient")
        self.assertEqual(self.server.cli("tenant", "show", "nobody").returncode, 3)


if __name__ == "__main__":
    unittest.main()
