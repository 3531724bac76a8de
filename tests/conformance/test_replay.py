"""The replay checker itself (no server): dotted paths, operators, substitution; and that README.md's
Q1-Q25 table covers every quirk and names only tests that exist."""
import ast
import os
import re
import unittest

from replay import MISSING, check, resolve, substitute

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


class Resolve(unittest.TestCase):
    doc = {"Resources": [{"userName": "a", "name": {"givenName": "A"}}], "members": [{"value": "1"}],
           ENTERPRISE: {"manager": {"value": "m"}}, "groups": None}

    def test_paths(self):
        for path, expected in (("Resources.0.userName", "a"), ("Resources.0.name.givenName", "A"),
                               ("members.#", 1), ("Resources.#", 1), (ENTERPRISE + ".manager.value", "m"),
                               ("groups.#", 0), ("emails.#", 0), ("", self.doc)):
            with self.subTest(path=path):
                self.assertEqual(resolve(self.doc, path), expected)

    def test_missing(self):
        for path in ("Resources.1.userName", "Resources.x", "name", "Resources.0.userName.x", "members.#.x",
                     ENTERPRISE + ".department"):
            with self.subTest(path=path):
                self.assertIs(resolve(self.doc, path), MISSING)


class Check(unittest.TestCase):
    def test_equality_is_json_equality(self):
        self.assertIsNone(check(True, True))
        self.assertIsNotNone(check(1, True))
        self.assertIsNotNone(check(True, 1))
        self.assertIsNone(check({"a": [1, "x"]}, {"a": [1, "x"]}))
        self.assertIsNotNone(check({"a": 1, "b": 2}, {"a": 1}))
        self.assertIsNotNone(check(MISSING, None))

    def test_operators(self):
        members = [{"value": "1", "display": "one"}, {"value": "2"}]
        cases = [({"absent": True}, MISSING, True), ({"absent": True}, None, True), ({"absent": True}, [], False),
                 ({"present": True}, "x", True), ({"present": True}, MISSING, False),
                 ({"contains": {"value": "1"}}, members, True), ({"contains": {"value": "3"}}, members, False),
                 ({"contains": "scim+json"}, "application/scim+json", True), ({"contains": "x"}, MISSING, False),
                 ({"excludes": {"value": "3"}}, members, True), ({"excludes": {"value": "2"}}, members, False),
                 ({"excludes": {"value": "2"}}, MISSING, True),
                 ({"contains": [{"value": "1"}, {"value": "2"}]}, members, True),
                 ({"contains": [{"value": "1"}, {"value": "3"}]}, members, False),
                 ({"excludes": [{"value": "3"}, {"value": "4"}]}, members, True),
                 ({"excludes": [{"value": "3"}, {"value": "2"}]}, members, False),
                 ({"ne": "W/\"1\""}, "W/\"2\"", True), ({"ne": "a"}, "a", False), ({"ne": "a"}, MISSING, False),
                 ({"is": "integer"}, 3, True), ({"is": "integer"}, True, False), ({"is": "integer"}, "3", False),
                 ({"is": "boolean"}, False, True), ({"is": "string"}, MISSING, False)]
        for expected, actual, ok in cases:
            with self.subTest(expected=expected, actual=actual):
                self.assertEqual(check(actual, expected) is None, ok, check(actual, expected))

    def test_an_object_with_other_keys_is_a_literal(self):
        # {"type": "work"} is an email, not an operator.
        self.assertIsNone(check({"type": "work"}, {"type": "work"}))
        self.assertIsNotNone(check({"type": "work", "value": "x"}, {"type": "work"}))


class Substitute(unittest.TestCase):
    def test_substitution(self):
        variables = {"id": "abc", "n": 3, "obj": {"k": 1}}
        self.assertEqual(substitute("/Users/${id}?x=${n}", variables), "/Users/abc?x=3")
        self.assertEqual(substitute({"${id}": ["${n}", "${obj}"], "$ref": None}, variables),
                         {"abc": [3, {"k": 1}], "$ref": None})
        a, b = substitute(["${uuid}", "${uuid}"], variables)
        self.assertNotEqual(a, b)
        with self.assertRaisesRegex(KeyError, "nope"):
            substitute("${nope}", variables)


class ReadmeTable(unittest.TestCase):
    here = os.path.dirname(os.path.abspath(__file__))

    def rows(self) -> dict:
        with open(os.path.join(self.here, "README.md"), encoding="utf-8") as f:
            return {int(m.group(1)): m.group(2) for m in re.finditer(r"^\| Q(\d+) \|(.*)$", f.read(), re.M)}

    def methods(self, path: str) -> set:
        with open(os.path.join(self.here, "..", path), encoding="utf-8") as f:
            tree = ast.parse(f.read())
        return {f"{path}::{c.name}::{m.name}" for c in tree.body if isinstance(c, ast.ClassDef)
                for m in c.body if isinstance(m, ast.FunctionDef)}

    def test_every_quirk_has_a_row_and_every_named_test_exists(self):
        rows = self.rows()
        self.assertEqual(sorted(rows), list(range(1, 26)))
        named = set()
        for number, text in rows.items():
            refs = re.findall(r"`((?:e2e|conformance)/[\w/]+\.py::\w+::\w+)`", text)
            named |= set(refs)
            self.assertTrue(refs or "none" in text, f"Q{number} names no test and says not why")
        known = set()
        for path in {ref.split("::")[0] for ref in named}:
            known |= self.methods(path)
        self.assertEqual(named - known, set(), "README.md names tests that do not exist")

    def test_every_quirk_test_is_in_the_table(self):
        quirks = {m for m in self.methods("conformance/test_quirks.py") if "::test_q" in m}
        named = set(re.findall(r"`(conformance/test_quirks\.py::\w+::\w+)`", "\n".join(self.rows().values())))
        self.assertEqual(quirks - named, set(), "add these to README.md's table")
        for ref in quirks:
            number = int(re.search(r"::test_q(\d+)_", ref).group(1))
            self.assertIn(ref, self.rows()[number], f"{ref} belongs in the row of Q{number}")


if __name__ == "__main__":
    unittest.main()
