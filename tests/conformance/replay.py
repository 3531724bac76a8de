"""Replays an identity provider's session, kept as data in sequences/*.json, against a running scimd.

The file format is described in README.md. In short: a sequence is a list of steps; each step is one
HTTP request (method, path, headers, body) with what the response must show (`expect`) and the
values to remember from it (`capture`). `${name}` in a path, header or body is a captured value or
one of the built-ins (`token`, `uniq`, `uuid`, `i`).

`check(actual, expected)` and `resolve(document, path)` are the whole checker: a dotted path picks a
value out of the response JSON, and the expected value is either a JSON value it must equal or an
operator object such as `{"absent": true}`. Only the Python standard library is used.
"""
from __future__ import annotations

import json
import os
import re
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

from harness import LIST_RESPONSE, SCIM_ERROR, Client  # noqa: E402  (path set just above)

SEQUENCES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sequences")
MISSING = object()  # what resolve() answers for a path that names nothing
MAX_REPEAT = 1000   # `repeat` is bounded
OPERATORS = {"absent", "present", "contains", "excludes", "ne", "is"}
_VARIABLE = re.compile(r"\$\{(\w+)\}")


class ReplayError(AssertionError):
    """A step whose response did not match; the message names the step, the request and the response."""


# -- substitution ----------------------------------------------------------------------------------

def substitute(value, variables: dict):
    """`value` with every `${name}` replaced, recursively through lists and objects (keys included).

    A string that is exactly one `${name}` becomes that variable's value with its JSON type (so a
    captured object or number stays one); elsewhere values are pasted in as text. `${uuid}` is a new
    random UUID at each occurrence. An unknown name raises KeyError naming it."""
    if isinstance(value, dict):
        return {substitute(k, variables): substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if not isinstance(value, str):
        return value

    def lookup(name: str):
        if name == "uuid":
            return str(uuid.uuid4())
        if name not in variables:
            raise KeyError(f"unknown variable ${{{name}}} (known: {', '.join(sorted(variables))})")
        return variables[name]

    whole = _VARIABLE.fullmatch(value)
    if whole:
        return lookup(whole.group(1))
    return _VARIABLE.sub(lambda m: str(lookup(m.group(1))), value)


# -- the checker -----------------------------------------------------------------------------------

def resolve(document, path: str):
    """The value at a dotted `path` in `document`, or MISSING.

    "" is the whole document. On an object the longest key that the path starts with is taken, so
    extension URNs need no escaping ("urn:…:enterprise:2.0:User.manager.value"). On an array a
    segment is an index ("Resources.0.id"); a final "#" is the array's length, 0 when the attribute
    is absent or null (RFC 7643 §2.5: unassigned, null and [] are the same)."""
    if path.endswith("#"):
        parent = resolve(document, path[:-2] if path.endswith(".#") else "")
        if parent is MISSING or parent is None:
            return 0
        return len(parent) if isinstance(parent, list) else MISSING
    current, rest = document, path
    while rest:
        if isinstance(current, dict):
            keys = [k for k in current if rest == k or rest.startswith(k + ".")]
            if not keys:
                return MISSING
            key = max(keys, key=len)
            current, rest = current[key], rest[len(key) + 1:]
        elif isinstance(current, list):
            segment, _, rest = rest.partition(".")
            if not segment.isdigit() or int(segment) >= len(current):
                return MISSING
            current = current[int(segment)]
        else:
            return MISSING
    return current


def same(a, b) -> bool:
    """JSON equality: true is not 1, 1 equals 1.0, objects ignore key order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _matches(element, wanted) -> bool:
    # For contains/excludes an expected object matches an element holding at least its members.
    if isinstance(wanted, dict) and isinstance(element, dict):
        return all(k in element and same(element[k], v) for k, v in wanted.items())
    return same(element, wanted)


def _contains(actual, wanted) -> bool:
    if isinstance(actual, str) and isinstance(wanted, str):
        return wanted in actual
    if isinstance(actual, list):
        return any(_matches(e, wanted) for e in actual)
    return False


def _each(wanted) -> list:
    # "contains"/"excludes" take one element, or a list of elements that must each be in (or out).
    return wanted if isinstance(wanted, list) else [wanted]


_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "object": dict,
          "array": list, "null": type(None)}


def _is(actual, name: str) -> bool:
    if name not in _TYPES:
        raise ValueError(f"unknown type {name!r} for 'is' (one of {', '.join(_TYPES)})")
    if isinstance(actual, bool) and name in ("integer", "number"):
        return False
    return actual is not MISSING and isinstance(actual, _TYPES[name])


def is_operator(expected) -> bool:
    return isinstance(expected, dict) and bool(expected) and set(expected) <= OPERATORS


def check(actual, expected) -> str | None:
    """None when `actual` (a resolved value, possibly MISSING) satisfies `expected`, else why not."""
    if not is_operator(expected):
        if actual is MISSING:
            return f"is absent, expected {_show(expected)}"
        return None if same(actual, expected) else f"is {_show(actual)}, expected {_show(expected)}"
    for op, arg in expected.items():
        unset = actual is MISSING or actual is None
        if op == "absent" and unset != bool(arg):
            return f"is {_show(actual)}, expected it absent" if arg else "is absent, expected a value"
        if op == "present" and unset == bool(arg):
            return "is absent, expected a value" if arg else f"is {_show(actual)}, expected it absent"
        for wanted in _each(arg) if op == "contains" else ():
            if not _contains([] if unset else actual, wanted):
                return f"is {_show(actual)}, expected it to contain {_show(wanted)}"
        for wanted in _each(arg) if op == "excludes" else ():
            if _contains([] if unset else actual, wanted):
                return f"is {_show(actual)}, expected it not to contain {_show(wanted)}"
        if op == "ne" and (actual is MISSING or same(actual, arg)):
            return f"is {_show(actual)}, expected a value other than {_show(arg)}"
        if op == "is" and not _is(actual, arg):
            return f"is {_show(actual)}, expected a JSON {arg}"
    return None


def _show(value) -> str:
    if value is MISSING:
        return "absent"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 300 else text[:300] + "…"


# -- the runner ------------------------------------------------------------------------------------

def load(name: str) -> dict:
    """The sequence file sequences/NAME (with or without .json)."""
    path = os.path.join(SEQUENCES, name if name.endswith(".json") else name + ".json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def invariants(response) -> list[str]:
    """What every response must show whatever the step expects (docs/api.md, TRAFFIC.md Q16)."""
    problems = []
    if response.text and "application/scim+json" not in (response.header("Content-Type") or ""):
        problems.append(f"Content-Type is {response.header('Content-Type')!r}, expected application/scim+json")
    body = response.json
    if response.status >= 400:
        if not (isinstance(body, dict) and SCIM_ERROR in body.get("schemas", [])
                and body.get("status") == str(response.status) and body.get("detail")):
            problems.append("a 4xx/5xx must carry a SCIM error (schemas, status as a string, detail)")
    if isinstance(body, dict) and LIST_RESPONSE in (body.get("schemas") or []):
        for key in ("totalResults", "itemsPerPage") + (() if "nextCursor" in body else ("startIndex",)):
            if not _is(body.get(key, MISSING), "integer"):
                problems.append(f"ListResponse {key} must be a JSON integer, is {_show(body.get(key, MISSING))}")
        if not isinstance(body.get("Resources"), list):
            problems.append("ListResponse must have a Resources array, even when empty")
        elif body.get("itemsPerPage") != len(body["Resources"]):
            problems.append(f"itemsPerPage is {body.get('itemsPerPage')}, but {len(body['Resources'])} resources came")
    return problems


class Replay:
    """Runs one sequence against the server on `port`, tenant base `prefix`."""

    def __init__(self, sequence: dict, port: int, token: str, prefix: str = "/scim/v2/demo", label: str = ""):
        self.sequence = sequence
        self.label = label or sequence.get("idp", "sequence")
        self.token = token
        self.client = Client(port, None, prefix)
        self.variables = {"token": token, "uniq": uuid.uuid4().hex[:10]}
        self.steps_run = 0

    def run(self):
        try:
            for number, step in enumerate(self.sequence["steps"], 1):
                repeat = step.get("repeat", 1)
                if not isinstance(repeat, int) or not 1 <= repeat <= MAX_REPEAT:
                    raise ReplayError(f"{self.label} step {number} {step.get('name')!r}: repeat must be 1..{MAX_REPEAT}")
                for i in range(1, repeat + 1):
                    self.variables["i"] = i
                    self.run_step(number, step)
                self.variables.pop("i", None)
        finally:
            self.client.close()

    def run_step(self, number: int, step: dict):
        where = f"{self.label} step {number} {step['name']!r}" + (f" (i={self.variables['i']})"
                                                                   if step.get("repeat", 1) > 1 else "")
        try:
            headers = substitute({**self.sequence.get("headers", {}), **step.get("headers", {})}, self.variables)
            path = substitute(step["path"], self.variables)
            body = substitute(step["body"], self.variables) if "body" in step else None
            expect = substitute(step.get("expect", {}), self.variables)
        except KeyError as e:
            raise ReplayError(f"{where}: {e.args[0]}") from None
        raw = body.encode() if isinstance(body, str) else None
        response = self.client.request(step["method"], path, None if raw is not None else body,
                                       headers=headers, raw=raw)
        self.steps_run += 1
        problems = invariants(response) + self.compare(response, expect)
        if not problems:
            for name, source in step.get("capture", {}).items():
                value = (response.header(source[len("header:"):]) if source.startswith("header:")
                         else resolve(response.json, source))
                if value is MISSING or value is None:
                    problems.append(f"capture {name}: {source!r} is absent")
                else:
                    self.variables[name] = value
        if problems:
            raise ReplayError(self.describe(where, problems, step["method"], path, headers, body, response))

    @staticmethod
    def compare(response, expect: dict) -> list[str]:
        problems = []
        if "status" in expect and response.status != expect["status"]:
            problems.append(f"status is {response.status}, expected {expect['status']}")
        if expect.get("empty") and response.text:
            problems.append("expected no body")
        for name, wanted in expect.get("headers", {}).items():
            value = response.header(name)
            why = check(MISSING if value is None else value, wanted)
            if why:
                problems.append(f"header {name} {why}")
        for path, wanted in expect.get("json", {}).items():
            if not isinstance(response.json, (dict, list)):
                problems.append(f"json {path!r}: the response has no JSON body")
                break
            why = check(resolve(response.json, path), wanted)
            if why:
                problems.append(f"json {path or '(whole body)'!r} {why}")
        return problems

    def describe(self, where, problems, method, path, headers, body, response) -> str:
        def redact(text: str) -> str:
            return text.replace(self.token, "<token>")

        sent = "\n".join(f"    {k}: {redact(str(v))}" for k, v in headers.items())
        payload = "" if body is None else "\n    " + redact(body if isinstance(body, str)
                                                               else json.dumps(body, ensure_ascii=False))
        got = "\n".join(f"    {k}: {v}" for k, v in response.headers.items())
        text = redact(response.text)
        if len(text) > 4000:
            text = text[:4000] + "…"
        return (f"{where}:\n  - " + "\n  - ".join(problems) +
                f"\n  request: {method} {self.client.prefix}{path}\n{sent}{payload}"
                f"\n  response: {response.status}\n{got}\n    {text}")
