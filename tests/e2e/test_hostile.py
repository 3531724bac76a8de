"""Hostile input (issue 9 item 5): SQL injection through filter values, attribute names, sort keys,
ids and cursors; path traversal; duplicate JSON keys; invalid UTF-8; deep nesting. Each gets the
right error (or is treated as plain data), changes nothing, and the server keeps serving."""
import socket
import time
import unittest
import urllib.parse
import uuid

from harness import Server, ServerTestCase, new_user, q

INJECTIONS = ["x' OR '1'='1", "x\" OR \"1\"=\"1", "'; DROP TABLE resources; --", "%' OR 1=1 --",
              "\\\" or 1=1 --", "x') UNION SELECT body FROM resources --"]



class Hostile(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        c = cls.server.client()
        cls.user = c.post("/Users", new_user(f"victim.{uuid.uuid4().hex[:8]}@example.com")).json
        c.close()

    def snapshot(self):
        users = self.scim.get("/Users?count=1000")
        groups = self.scim.get("/Groups?count=1000")
        self.assertEqual(users.status, 200, users.text)
        return users.json, groups.json

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


if __name__ == "__main__":
    unittest.main()
