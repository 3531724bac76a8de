"""/Bulk (RFC 7644 §3.7) through the real server: bulkId references between operations (also
forward ones), failOnErrors, per-operation errors and versions, and the limits (413)."""
import unittest
import uuid

from harness import GROUP_SCHEMA, ServerTestCase, new_user, patch_op

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"


def bulk(*operations, **extra) -> dict:
    return {"schemas": [BULK_REQUEST], "Operations": list(operations), **extra}


def uniq(prefix="bulk") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}@example.com"


class Bulk(ServerTestCase):
    def run_bulk(self, body, client=None) -> list:
        r = (client or self.scim).post("/Bulk", body)
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json["schemas"], [BULK_RESPONSE])
        return r.json["Operations"]

    def count(self, path: str) -> int:
        return self.scim.get(path + "?count=0").json["totalResults"]

    def test_rfc_example_user_then_group_referring_to_it_then_patch_and_delete(self):
        alice, bob = uniq(), uniq()
        results = self.run_bulk(bulk(
            {"method": "POST", "path": "/Users", "bulkId": "qwerty", "data": new_user(alice)},
            {"method": "POST", "path": "/Users", "bulkId": "bob", "data": new_user(bob)},
            {"method": "POST", "path": "/Groups", "bulkId": "ytrewq",
             "data": {"schemas": [GROUP_SCHEMA], "displayName": f"Tour Guides {uuid.uuid4().hex[:6]}",
                      "members": [{"type": "User", "value": "bulkId:qwerty"}]}},
            {"method": "PATCH", "path": "/Groups/bulkId:ytrewq",
             "data": patch_op({"op": "add", "path": "members", "value": [{"value": "bulkId:bob"}]})},
            {"method": "DELETE", "path": "/Users/bulkId:bob"},
        ))
        self.assertEqual([r["status"] for r in results], ["201", "201", "201", "204", "204"])
        self.assertEqual([r.get("bulkId") for r in results], ["qwerty", "bob", "ytrewq", None, None])
        user = self.scim.get(results[0]["location"].split("/scim/v2/demo")[1]).json
        self.assertEqual(user["userName"], alice)
        self.assertEqual(results[0]["version"], user["meta"]["version"])
        group = self.scim.get(results[2]["location"].split("/scim/v2/demo")[1]).json
        # Bob was added by the PATCH and removed from the group again when he was deleted.
        self.assertEqual([m["value"] for m in group["members"]], [user["id"]])
        self.assertTrue(results[3]["location"].endswith("/Groups/" + group["id"]))
        self.assertEqual(self.scim.get(results[1]["location"].split("/scim/v2/demo")[1]).status, 404)

    def test_forward_reference_runs_after_its_target(self):
        name = uniq()
        results = self.run_bulk(bulk(
            {"method": "POST", "path": "/Groups", "bulkId": "g",
             "data": {"displayName": f"Forward {uuid.uuid4().hex[:6]}", "members": [{"value": "bulkId:u"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "u", "data": new_user(name)},
        ))
        self.assertEqual([(r["bulkId"], r["status"]) for r in results], [("u", "201"), ("g", "201")])
        group = self.scim.get(results[1]["location"].split("/scim/v2/demo")[1]).json
        self.assertEqual(group["members"][0]["display"], name)

    def test_each_operation_has_its_own_outcome_and_errors_carry_scim_bodies(self):
        taken = uniq()
        self.assertEqual(self.scim.post("/Users", new_user(taken)).status, 201)
        fresh = uniq()
        users_before = self.count("/Users")
        results = self.run_bulk(bulk(
            {"method": "POST", "path": "/Users", "bulkId": "dup", "data": new_user(taken.upper())},
            {"method": "POST", "path": "/Users", "bulkId": "ok", "data": new_user(fresh)},
            {"method": "PUT", "path": "/Users/no-such-id", "data": new_user(uniq())},
            {"method": "POST", "path": "/Users", "data": {"schemas": [], "userName": 42}},
            {"method": "PATCH", "path": "/Users/bulkId:dup", "data": patch_op({"op": "replace", "path": "title",
                                                                              "value": "x"})},
        ))
        self.assertEqual([r["status"] for r in results], ["409", "201", "404", "400", "409"])
        self.assertEqual(results[0]["response"]["scimType"], "uniqueness")
        self.assertEqual(results[3]["response"]["scimType"], "invalidValue")
        self.assertIn("failed", results[4]["response"]["detail"])
        self.assertEqual(self.count("/Users"), users_before + 1)

    def test_fail_on_errors_stops_after_that_many_errors(self):
        before = self.count("/Users")
        results = self.run_bulk(bulk(
            {"method": "PUT", "path": "/Users/missing-1", "data": new_user(uniq())},
            {"method": "POST", "path": "/Users", "bulkId": "a", "data": new_user(uniq())},
            {"method": "DELETE", "path": "/Users/missing-2"},
            {"method": "POST", "path": "/Users", "bulkId": "b", "data": new_user(uniq())},
            failOnErrors=2))
        self.assertEqual([r["status"] for r in results], ["404", "201", "404"])
        self.assertEqual(self.count("/Users"), before + 1)

    def test_cycles_fail_without_running(self):
        before = self.count("/Groups")
        results = self.run_bulk(bulk(
            {"method": "POST", "path": "/Groups", "bulkId": "a",
             "data": {"displayName": f"A {uuid.uuid4().hex[:6]}", "members": [{"value": "bulkId:b"}]}},
            {"method": "POST", "path": "/Groups", "bulkId": "b",
             "data": {"displayName": f"B {uuid.uuid4().hex[:6]}", "members": [{"value": "bulkId:a"}]}},
        ))
        self.assertEqual([r["status"] for r in results], ["409", "409"])
        self.assertIn("cycle", results[0]["response"]["detail"])
        self.assertEqual(self.count("/Groups"), before)

    def test_version_is_if_match(self):
        user = self.scim.post("/Users", new_user(uniq())).json
        path = f"/Users/{user['id']}"
        results = self.run_bulk(bulk(
            {"method": "PATCH", "path": path, "version": 'W/"999"',
             "data": patch_op({"op": "replace", "path": "title", "value": "stale"})},
            {"method": "PATCH", "path": path, "version": user["meta"]["version"],
             "data": patch_op({"op": "replace", "path": "title", "value": "fresh"})},
        ))
        self.assertEqual([r["status"] for r in results], ["412", "200"])
        self.assertEqual(self.scim.get(path).json["title"], "fresh")
        self.assertNotEqual(results[1]["version"], user["meta"]["version"])

    def test_operations_only_address_users_and_groups(self):
        before = (self.count("/Users"), self.count("/Groups"))
        results = self.run_bulk(bulk(
            {"method": "POST", "path": "/Bulk", "data": bulk()},
            {"method": "POST", "path": "/Users/some-id", "data": new_user(uniq())},
            {"method": "DELETE", "path": "/Users"},
            {"method": "PUT", "path": "/ServiceProviderConfig", "data": {}},
            {"method": "POST", "path": "/Users/.search", "data": {}},
        ))
        self.assertEqual([r["status"] for r in results], ["400"] * 5)
        self.assertEqual((self.count("/Users"), self.count("/Groups")), before)

    def test_shared_base_url_runs_in_the_credentials_tenant(self):
        shared = self.server.client(prefix="/scim/v2")
        name = uniq()
        results = self.run_bulk(bulk({"method": "POST", "path": "/Users", "bulkId": "x", "data": new_user(name)}),
                                client=shared)
        shared.close()
        self.assertEqual(results[0]["status"], "201")
        self.assertIn("/scim/v2/Users/", results[0]["location"])
        body = self.scim.get(f'/Users?filter=userName eq "{name}"').json
        self.assertEqual(body["totalResults"], 1)

    def test_malformed_and_oversized_requests_change_nothing(self):
        before = (self.count("/Users"), self.count("/Groups"))
        op = {"method": "POST", "path": "/Users", "data": new_user(uniq())}
        self.assertScimError(self.scim.post("/Bulk", {"Operations": [op]}), 400, "invalidSyntax")
        self.assertScimError(self.scim.post("/Bulk", bulk()), 400, "invalidSyntax")
        self.assertScimError(self.scim.post("/Bulk", bulk({"method": "GET", "path": "/Users"})), 400, "invalidValue")
        self.assertScimError(self.scim.post("/Bulk", bulk(
            {"method": "POST", "path": "/Groups", "data": {"members": [{"value": "bulkId:nobody"}]}})),
            400, "invalidValue")
        limit = self.scim.get("/ServiceProviderConfig").json["bulk"]
        too_many = [{"method": "DELETE", "path": f"/Users/x{i}"} for i in range(limit["maxOperations"] + 1)]
        self.assertScimError(self.scim.post("/Bulk", bulk(*too_many)), 413)
        huge = bulk({"method": "POST", "path": "/Users",
                     "data": new_user(uniq(), title="x" * (limit["maxPayloadSize"] + 1))})
        self.assertScimError(self.scim.post("/Bulk", huge), 413)
        self.assertScimError(self.scim.get("/Bulk"), 405)
        self.assertEqual((self.count("/Users"), self.count("/Groups")), before)


if __name__ == "__main__":
    unittest.main()
