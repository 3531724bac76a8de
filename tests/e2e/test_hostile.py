"""Hostile input (issue 9 item 5): SQL injection through filter values, attribute names, sort keys,
ids and cursors; path traversal; duplicate JSON keys; invalid UTF-8; deep nesting. Each gets the
right error (or is treated as plain data), changes nothing, and the server keeps serving."""
import shutil
import socket
import tempfile
import time
import unittest
import urllib.parse
import uuid

from harness import GROUP_SCHEMA, Server, ServerTestCase, new_user, patch_op, q, run_cli

INJECTIONS = ["x' OR '1'='1", "x\" OR \"1\"=\"1", "'; DROP TABLE resources; --", "%' OR 1=1 --",
              "\\\" or 1=1 --", "x') UNION SELECT body FROM resources --"]



class DirectorySnapshot(unittest.TestCase):
    """For the suites below: the tenant's users and groups, to show a refused request changed nothing."""

    def snapshot(self):
        users = self.scim.get("/Users?count=1000")
        groups = self.scim.get("/Groups?count=1000")
        self.assertEqual(users.status, 200, users.text)
        return users.json, groups.json


class Hostile(DirectorySnapshot, ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        c = cls.server.client()
        cls.user = c.post("/Users", new_user(f"victim.{uuid.uuid4().hex[:8]}@example.com")).json
        c.close()

    def assertServing(self, before):
        self.assertEqual(self.snapshot(), before, "hostile input must change nothing")
        self.assertEqual(self.scim.get(f"/Users/{self.user['id']}").status, 200)

    def test_filter_values_are_data_not_sql(self):
        before = self.snapshot()
        for value in INJECTIONS:
            for attr in ("userName", "externalId", "emails.value", "title", "id", "meta.lastModified"):
                escaped = value.replace("\\", "\\\\").replace('"', '\\"')
                r = self.scim.get(q("/Users", filter=f'{attr} eq "{escaped}"'))
                self.assertEqual(r.status, 200, r.text)
                self.assertEqual(r.json["totalResults"], 0, f"{attr} eq {value!r} matched something")
                r = self.scim.get(q("/Users", filter=f'{attr} co "{escaped}" or {attr} sw "{escaped}"'))
                self.assertEqual(r.json["totalResults"], 0, f"{attr} co {value!r}")
        self.assertServing(before)

    def test_attribute_names_and_sort_keys_are_grammar_not_sql(self):
        before = self.snapshot()
        for text in ('userName) OR 1=1 --', 'userName eq "x") OR (1=1', "userName' eq \"x\"",
                     'name.familyName.x eq "a"', 'urn:x:\'; DROP TABLE x:y eq "a"', 'emails[value eq "a"; --]'):
            self.assertScimError(self.scim.get(q("/Users", filter=text)), 400, "invalidFilter")
        for sort_by in ("userName; DROP TABLE resources", "userName DESC, (SELECT 1)", "r.body", "1",
                        "name.familyName'--"):
            self.assertScimError(self.scim.get(q("/Users", sortBy=sort_by)), 400, "invalidValue")
        self.assertScimError(self.scim.get(q("/Users", sortBy="userName", sortOrder="desc; --")), 400, "invalidValue")
        r = self.scim.get(q("/Users", attributes="userName,'; DROP TABLE resources --", count=1))
        self.assertEqual(r.status, 200, "unknown names in attributes= are ignored")
        self.assertServing(before)

    def test_ids_and_cursors(self):
        before = self.snapshot()
        for bad in ("1' OR '1'='1", "x\" OR 1=1 --", "%27%20OR%201%3D1", "..", "%00", "a" * 300):
            path = "/Users/" + urllib.parse.quote(bad, safe="%")
            r = self.scim.get(path)
            self.assertIn(r.status, (400, 404), r.text)
            self.assertIsInstance(r.json, dict)
            for method in ("PUT", "PATCH", "DELETE"):
                r = self.scim.request(method, path, {"schemas": [], "Operations": [{"op": "replace", "path": "title",
                                                                                   "value": "x"}]})
                self.assertIn(r.status, (400, 404), f"{method} {bad!r}: {r.text}")
        for cursor in ("' OR 1=1 --", "eyJxIjoiJyBPUiAxPTEiLCJkIjoibiIsInMiOjEsImsiOiInIE9SIDE9MSJ9"):
            self.assertScimError(self.scim.get(q("/Users", cursor=cursor)), 400, "invalidCursor")
        self.assertServing(before)

    def test_path_traversal_reaches_nothing(self):
        before = self.snapshot()
        for path in ("/scim/v2/demo/../../etc/passwd", "/scim/v2/demo/Users/../../../etc/passwd",
                     "/scim/v2/%2e%2e/%2e%2e/etc/passwd", "/scim/v2/demo/..%2f..%2fetc%2fpasswd", "/../../etc/passwd"):
            r = self.scim.get(path, absolute=True)
            self.assertIn(r.status, (400, 401, 404), f"{path}: {r.status} {r.text}")
            self.assertNotIn("root:", r.text)
        self.assertServing(before)

    def test_duplicate_keys_invalid_utf8_and_deep_nesting(self):
        before = self.snapshot()
        name = f"dup.{uuid.uuid4().hex[:8]}@example.com"
        bodies = [
            # The same key twice: which one wins is not the client's to guess.
            b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"' + name.encode() +
            b'","userName":"other-' + name.encode() + b'"}',
            b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bad\xff\xfeutf8"}',
            b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"' + name.encode() + b'","x":' +
            b"[" * 100000 + b"]" * 100000 + b"}",
        ]
        for raw in bodies:
            r = self.scim.request("POST", "/Users", raw=raw, headers={"Content-Type": "application/scim+json"})
            self.assertEqual(r.status, 400, f"{raw[:60]!r}: {r.text}")
            self.assertIsInstance(r.json, dict)
        self.assertServing(before)


class ConfiguredHttpLimits(unittest.TestCase):
    """The HTTP limits of docs/limits.md are settings: a smaller head limit and head deadline."""

    def test_head_size_and_slow_head_limits_are_configurable(self):
        server = Server(env={"SCIMD_MAX_HEADER_BYTES": "2048", "SCIMD_HEADER_TIMEOUT_SECONDS": "1"}).start()
        try:
            scim = server.client()
            self.assertEqual(scim.get("/Users").status, 200)
            big = scim.get("/Users", headers={"X-Padding": "p" * 3000})
            self.assertEqual(big.status, 431, big.text)
            scim.close()
            # A client that sends half a head and stops is answered 408 after the deadline.
            started = time.monotonic()
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
                raw.sendall(b"GET /scim/v2/demo/Users HTTP/1.1\r\nHost: x\r\n")
                answer = raw.recv(4096)
            self.assertTrue(answer.startswith(b"HTTP/1.1 408"), answer[:80])
            self.assertLess(time.monotonic() - started, 8)
        finally:
            self.assertEqual(server.stop(), 0)
            server.cleanup()


# Each SCIM-document limit of docs/limits.md lowered from its ceiling.
LOWERED_DOCUMENT_LIMITS = {"SCIMD_MAX_JSON_DEPTH": "8", "SCIMD_MAX_FILTER_LENGTH": "256",
                           "SCIMD_MAX_FILTER_DEPTH": "4", "SCIMD_MAX_PATCH_OPERATIONS": "3",
                           "SCIMD_MAX_ATTRIBUTE_VALUES": "10"}


def emails(count: int, name: str) -> list:
    return [{"value": f"{i}.{name}", "type": "other"} for i in range(count)]


class ConfiguredDocumentLimits(DirectorySnapshot, ServerTestCase):
    """The SCIM-document limits are settings too: each lowered one is answered with a 400 SCIM error
    that names it, changes nothing, and leaves requests within it working."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env=LOWERED_DOCUMENT_LIMITS).start()
        assert cls.server.demo_token, "first start must print the demo token"
        c = cls.server.client()
        cls.user = c.post("/Users", new_user(f"limits.{uuid.uuid4().hex[:8]}@example.com")).json
        c.close()

    def assertRefused(self, response, scim_type: str, limit: str):
        self.assertScimError(response, 400, scim_type)
        self.assertIn(limit, response.json["detail"])

    def test_json_depth(self):
        before = self.snapshot()
        name = f"deep.{uuid.uuid4().hex[:8]}@example.com"
        raw = ('{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"' + name + '","x":' +
               "[" * 8 + "]" * 8 + "}").encode()  # 9 levels with the body itself
        r = self.scim.request("POST", "/Users", raw=raw, headers={"Content-Type": "application/scim+json"})
        self.assertRefused(r, "invalidSyntax", "nested deeper than the limit of 8 levels")
        deep_patch = patch_op({"op": "replace", "path": "title", "value": [[[[[["x"]]]]]]})
        self.assertRefused(self.scim.patch(f"/Users/{self.user['id']}", deep_patch), "invalidSyntax", "limit of 8")
        self.assertEqual(self.snapshot(), before, "a refused write must change nothing")
        # Within the limit: an ordinary user with an enterprise manager.
        user = new_user(name, **{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
                                 {"manager": {"value": self.user["id"]}}})
        user["schemas"].append("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        self.assertEqual(self.scim.post("/Users", user).status, 201)

    def test_filter_length(self):
        pad = "x" * (256 - len('userName eq ""'))
        self.assertListResponse(self.scim.get(q("/Users", filter=f'userName eq "{pad}"')), total=0)
        too_long = f'userName eq "{pad}x"'
        self.assertRefused(self.scim.get(q("/Users", filter=too_long)), "invalidFilter",
                           "longer than the limit of 256 characters")
        search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": too_long}
        self.assertRefused(self.scim.post("/Users/.search", search), "invalidFilter", "limit of 256 characters")

    def test_filter_depth(self):
        user_name = self.user["userName"]
        self.assertListResponse(self.scim.get(q("/Users", filter=f'((((userName eq "{user_name}"))))')), total=1)
        self.assertRefused(self.scim.get(q("/Users", filter=f'(((((userName eq "{user_name}")))))')), "invalidFilter",
                           "nested deeper than the limit of 4 levels")
        self.assertRefused(self.scim.get(q("/Users", filter='((((emails[type eq "work"]))))')), "invalidFilter",
                           "limit of 4 levels")

    def test_patch_operations(self):
        before = self.snapshot()
        ops = [{"op": "replace", "path": "title", "value": f"t{i}"} for i in range(4)]
        r = self.scim.patch(f"/Users/{self.user['id']}", patch_op(*ops))
        self.assertRefused(r, "invalidValue", "at most 3 operations")
        self.assertEqual(self.snapshot(), before, "a refused PATCH must change nothing")
        r = self.scim.patch(f"/Users/{self.user['id']}", patch_op(*ops[:3]))
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json["title"], "t2")

    def test_attribute_values_in_post_put_patch_and_bulk(self):
        before = self.snapshot()
        name = f"many.{uuid.uuid4().hex[:8]}@example.com"
        refusals = [
            self.scim.post("/Users", new_user(name, emails=emails(11, name))),
            self.scim.put(f"/Users/{self.user['id']}", new_user(self.user["userName"], emails=emails(11, name))),
            self.scim.patch(f"/Users/{self.user['id']}",
                            patch_op({"op": "add", "path": "emails", "value": emails(11, name)})),
        ]
        for r in refusals:
            self.assertRefused(r, "invalidValue", "'emails' may hold at most 10 values")
        bulk = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                "Operations": [{"method": "POST", "path": "/Users", "data": new_user(name, emails=emails(11, name))}]}
        r = self.scim.post("/Bulk", bulk)
        self.assertEqual(r.status, 200, r.text)
        result = r.json["Operations"][0]
        self.assertEqual(result["status"], "400", result)
        self.assertEqual(result["response"]["scimType"], "invalidValue")
        self.assertIn("may hold at most 10 values", result["response"]["detail"])
        self.assertEqual(self.snapshot(), before, "refused writes must change nothing")

        # Within the limit, each works.
        created = self.scim.post("/Users", new_user(name, emails=emails(10, name)))
        self.assertEqual(created.status, 201, created.text)
        self.assertEqual(len(created.json["emails"]), 10)
        r = self.scim.put(f"/Users/{created.json['id']}", new_user(name, emails=emails(9, name)))
        self.assertEqual(r.status, 200, r.text)
        r = self.scim.patch(f"/Users/{created.json['id']}",
                            patch_op({"op": "add", "path": "emails", "value": [{"value": "one.more@example.com"}]}))
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(len(r.json["emails"]), 10)

    def test_group_members_are_not_attribute_values(self):
        ids = []
        for i in range(12):
            r = self.scim.post("/Users", new_user(f"member{i}.{uuid.uuid4().hex[:8]}@example.com"))
            self.assertEqual(r.status, 201, r.text)
            ids.append(r.json["id"])
        group = {"schemas": [GROUP_SCHEMA], "displayName": f"big {uuid.uuid4().hex[:8]}",
                 "members": [{"value": i} for i in ids]}
        r = self.scim.post("/Groups", group)
        self.assertEqual(r.status, 201, r.text)
        self.assertEqual(len(r.json["members"]), 12)


class DocumentLimitSettings(unittest.TestCase):
    def test_a_limit_beyond_its_ceiling_stops_the_start(self):
        data = tempfile.mkdtemp(prefix="scimd-limits-")
        self.addCleanup(shutil.rmtree, data, True)
        for key, value, message in (("SCIMD_MAX_FILTER_DEPTH", "100", "max_filter_depth: must be between 4 and 32"),
                                    ("SCIMD_MAX_JSON_DEPTH", "2", "max_json_depth: must be between 8 and 64"),
                                    ("SCIMD_MAX_ATTRIBUTE_VALUES", "many", "expected an integer")):
            result = run_cli("serve", "--listen", "127.0.0.1:0", data_dir=data, env={key: value})
            self.assertEqual(result.returncode, 2, (key, result.stdout, result.stderr))
            self.assertIn(message, result.stderr)


if __name__ == "__main__":
    unittest.main()
