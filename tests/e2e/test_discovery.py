"""Discovery (RFC 7644 §4, RFC 7643 §5-§7): /ServiceProviderConfig, /ResourceTypes, /Schemas tell the
truth about what this server supports, under the tenant's base URL and the shared one, and only to
a holder of the tenant's credential."""
import unittest
import urllib.parse

from harness import ENTERPRISE, GROUP_SCHEMA, LIST_RESPONSE, USER_SCHEMA, Client, ServerTestCase

SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RT_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
DISCOVERY = ("/ServiceProviderConfig", "/ResourceTypes", "/ResourceTypes/User", "/ResourceTypes/Group", "/Schemas",
             f"/Schemas/{USER_SCHEMA}", f"/Schemas/{GROUP_SCHEMA}", f"/Schemas/{ENTERPRISE}")


def without_meta(document):
    """The document without meta.location (which names the base URL it was fetched from)."""
    if isinstance(document, dict):
        return {k: without_meta(v) for k, v in document.items() if k != "meta"}
    if isinstance(document, list):
        return [without_meta(v) for v in document]
    return document


def attribute(schema: dict, name: str) -> dict:
    for attr in schema["attributes"]:
        if attr["name"] == name:
            return attr
    raise AssertionError(f"{schema['id']} has no attribute {name}")


class Discovery(ServerTestCase):
    def get_json(self, path: str, client: Client | None = None) -> dict:
        r = (client or self.scim).get(path)
        self.assertEqual(r.status, 200, r.text)
        self.assertIn("application/scim+json", r.header("Content-Type") or "")
        return r.json

    def test_service_provider_config(self):
        spc = self.get_json("/ServiceProviderConfig")
        self.assertEqual(spc["schemas"], [SPC_SCHEMA])
        self.assertIs(spc["patch"]["supported"], True)
        self.assertIs(spc["filter"]["supported"], True)
        self.assertIsInstance(spc["filter"]["maxResults"], int)
        self.assertNotIsInstance(spc["filter"]["maxResults"], bool)
        self.assertGreater(spc["filter"]["maxResults"], 0)
        self.assertIs(spc["bulk"]["supported"], True)
        self.assertGreater(spc["bulk"]["maxOperations"], 0)
        self.assertGreater(spc["bulk"]["maxPayloadSize"], 0)
        for feature in ("changePassword", "sort", "etag"):
            self.assertIsInstance(spc[feature]["supported"], bool, feature)
        # What is offered is claimed, what is not offered yet is not.
        self.assertIs(spc["sort"]["supported"], True)
        self.assertIs(spc["etag"]["supported"], True)
        self.assertIs(spc["changePassword"]["supported"], False)
        # RFC 9865 §4: both paging methods, with the page sizes the list endpoints apply.
        pagination = spc["pagination"]
        self.assertIs(pagination["cursor"], True)
        self.assertIs(pagination["index"], True)
        self.assertEqual(pagination["defaultPaginationMethod"], "index")
        self.assertEqual(pagination["maxPageSize"], spc["filter"]["maxResults"])
        self.assertGreater(pagination["defaultPageSize"], 0)
        schemes = spc["authenticationSchemes"]
        self.assertIsInstance(schemes, list)
        self.assertGreater(len(schemes), 0)
        for scheme in schemes:
            self.assertTrue(scheme["type"])
            self.assertTrue(scheme["name"])
            self.assertTrue(scheme["description"])
        self.assertIn("oauthbearertoken", [s["type"] for s in schemes])
        self.assertEqual(spc["meta"]["resourceType"], "ServiceProviderConfig")
        self.assertTrue(spc["meta"]["location"].endswith("/scim/v2/demo/ServiceProviderConfig"),
                        spc["meta"]["location"])

    def test_filter_max_results_is_honoured(self):
        limit = self.get_json("/ServiceProviderConfig")["filter"]["maxResults"]
        body = self.get_json(f"/Users?startIndex=1&count={limit + 500}")
        self.assertEqual(body["schemas"], [LIST_RESPONSE])
        self.assertLessEqual(body["itemsPerPage"], limit)

    def test_resource_types(self):
        body = self.get_json("/ResourceTypes")
        self.assertEqual(body["schemas"], [LIST_RESPONSE])
        self.assertEqual(body["totalResults"], 2)
        self.assertEqual(body["itemsPerPage"], len(body["Resources"]))
        types = {t["id"]: t for t in body["Resources"]}
        self.assertEqual(set(types), {"User", "Group"})
        user, group = types["User"], types["Group"]
        self.assertEqual(user["schemas"], [RT_SCHEMA])
        self.assertEqual(user["name"], "User")
        self.assertEqual(user["endpoint"], "/Users")
        self.assertEqual(user["schema"], USER_SCHEMA)
        self.assertEqual(user["schemaExtensions"], [{"schema": ENTERPRISE, "required": False}])
        self.assertEqual(group["name"], "Group")
        self.assertEqual(group["endpoint"], "/Groups")
        self.assertEqual(group["schema"], GROUP_SCHEMA)
        self.assertEqual(group.get("schemaExtensions", []), [])
        for t in (user, group):
            self.assertEqual(t["meta"]["resourceType"], "ResourceType")
            self.assertTrue(t["meta"]["location"].endswith(f"/ResourceTypes/{t['id']}"), t["meta"])

    def test_single_resource_type(self):
        listed = {t["id"]: t for t in self.get_json("/ResourceTypes")["Resources"]}
        for rid in ("User", "Group"):
            with self.subTest(id=rid):
                single = self.get_json(f"/ResourceTypes/{rid}")
                self.assertEqual(single, listed[rid])
        self.assertScimError(self.scim.get("/ResourceTypes/Widget"), 404)

    def test_schemas(self):
        body = self.get_json("/Schemas")
        self.assertEqual(body["schemas"], [LIST_RESPONSE])
        self.assertEqual(body["totalResults"], 3)
        self.assertEqual(body["itemsPerPage"], 3)
        schemas = {s["id"]: s for s in body["Resources"]}
        self.assertEqual(set(schemas), {USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE})
        for s in schemas.values():
            self.assertEqual(s["schemas"], [SCHEMA_SCHEMA])
            self.assertTrue(s["name"])
            self.assertIsInstance(s["attributes"], list)
            self.assertGreater(len(s["attributes"]), 0)
            for attr in s["attributes"]:
                for key in ("name", "type", "multiValued", "required", "mutability", "returned"):
                    self.assertIn(key, attr, f"{s['id']}:{attr.get('name')}")
            self.assertEqual(s["meta"]["resourceType"], "Schema")
            self.assertTrue(s["meta"]["location"].endswith(f"/Schemas/{s['id']}"), s["meta"])
        user = schemas[USER_SCHEMA]
        user_name = attribute(user, "userName")
        self.assertIs(user_name["required"], True)
        self.assertEqual(user_name["uniqueness"], "server")
        self.assertIs(user_name["caseExact"], False)
        self.assertEqual(attribute(user, "password")["returned"], "never")
        self.assertEqual(attribute(user, "groups")["mutability"], "readOnly")
        self.assertEqual(attribute(user, "id")["mutability"], "readOnly")
        self.assertEqual(attribute(user, "emails")["multiValued"], True)
        self.assertIs(attribute(schemas[GROUP_SCHEMA], "displayName")["required"], True)
        self.assertEqual(attribute(schemas[GROUP_SCHEMA], "members")["multiValued"], True)
        manager = attribute(schemas[ENTERPRISE], "manager")
        self.assertEqual(manager["type"], "complex")
        self.assertIn("value", [a["name"] for a in manager["subAttributes"]])

    def test_single_schema_and_unknown_schema(self):
        listed = {s["id"]: s for s in self.get_json("/Schemas")["Resources"]}
        for urn in (USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE):
            with self.subTest(urn=urn):
                self.assertEqual(self.get_json(f"/Schemas/{urn}"), listed[urn])
                self.assertEqual(self.get_json("/Schemas/" + urllib.parse.quote(urn)), listed[urn])
        self.assertScimError(self.scim.get("/Schemas/urn:ietf:params:scim:schemas:extension:acme:2.0:User"), 404)
        self.assertScimError(self.scim.get("/Schemas/nope"), 404)

    def test_discovery_needs_the_tenants_credential(self):
        token = self.server.demo_token
        tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
        self.server.cli("tenant", "create", "acme", check=True)
        other_token = self.server.issue_token("acme")
        for authorization in (None, "Bearer " + tampered, "Bearer " + other_token):
            c = Client(self.server.port, authorization)
            for path in DISCOVERY:
                with self.subTest(path=path, auth=authorization and authorization[:14]):
                    r = c.get(path)
                    self.assertScimError(r, 401)
                    self.assertTrue((r.header("WWW-Authenticate") or "").startswith("Bearer"), r.headers)
            c.close()
        shared = Client(self.server.port, None, prefix="/scim/v2")
        for path in DISCOVERY:
            with self.subTest(shared=path):
                self.assertScimError(shared.get(path), 401)
        shared.close()
        # The other tenant reads its own discovery documents through its own URL.
        c = Client(self.server.port, "Bearer " + other_token, prefix="/scim/v2/acme")
        self.assertTrue(self.get_json("/ServiceProviderConfig", c)["meta"]["location"]
                        .endswith("/scim/v2/acme/ServiceProviderConfig"))
        c.close()

    def test_shared_base_url_with_token(self):
        for authorization in ("Bearer " + self.server.demo_token, self.server.demo_token):
            shared = Client(self.server.port, authorization, prefix="/scim/v2")
            for path in DISCOVERY:
                with self.subTest(path=path, bare=not authorization.startswith("Bearer")):
                    via_shared = self.get_json(path, shared)
                    via_tenant = self.get_json(path)
                    self.assertEqual(without_meta(via_shared), without_meta(via_tenant))
                    location = (via_shared.get("meta") or via_shared["Resources"][0]["meta"])["location"]
                    self.assertIn("/scim/v2/", location)
                    self.assertNotIn("/scim/v2/demo/", location)
            shared.close()


if __name__ == "__main__":
    unittest.main()
