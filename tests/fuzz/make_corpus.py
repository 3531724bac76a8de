#!/usr/bin/env python3
"""Regenerates the seed corpora in tests/fuzz/corpus/<target>/ from the repository's tests:
filters and PATCH bodies in src/core/*_test.cc, the IdP request sequences of
tests/conformance/sequences/*.json (TRAFFIC.md wire shapes), and a few hand-written shapes.
Run from anywhere: python3 tests/fuzz/make_corpus.py. Deterministic; at most MAX_FILES small files
per target (existing seeds are replaced)."""
import hashlib
import json
import pathlib
import re
import shutil
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fuzz" / "corpus"
MAX_FILES = 80
MAX_BYTES = 4096

seeds = {t: [] for t in ("fuzz_filter", "fuzz_patch_path", "fuzz_validate", "fuzz_patch_apply", "fuzz_query",
                         "fuzz_http_wire")}


def add(target, data):
    if isinstance(data, (dict, list)):
        data = json.dumps(data, separators=(",", ":"))
    if isinstance(data, str):
        data = data.encode()
    if data and len(data) <= MAX_BYTES and data not in seeds[target]:
        seeds[target].append(data)


def cpp_unescape(text):
    return text.encode().decode("unicode_escape") if "\\" in text else text


# --- filters: the first column of the table rows in filter_parser_test.cc ({R"(in)", R"(out)"}).
filter_test = (ROOT / "src/core/filter_parser_test.cc").read_text()
for m in re.finditer(r'\{\s*(?:R"\((.*?)\)"|"((?:[^"\\]|\\.)*)")\s*,', filter_test):
    text = m.group(1) if m.group(1) is not None else cpp_unescape(m.group(2))
    if " " in text or "[" in text:
        add("fuzz_filter", text)
for m in re.finditer(r'ParsePatchPath\((?:R"\((.*?)\)"|"((?:[^"\\]|\\.)*)")', filter_test):
    add("fuzz_patch_path", m.group(1) if m.group(1) is not None else cpp_unescape(m.group(2)))

# --- JSON documents embedded in the core tests: R"json(...)json".
for test in ("patch_test.cc", "validate_test.cc"):
    path = ROOT / "src/core" / test
    if not path.exists():
        continue
    for m in re.finditer(r'R"json\((.*?)\)json"', path.read_text(), re.S):
        try:
            doc = json.loads(m.group(1))
        except ValueError:
            continue
        if isinstance(doc, dict) and any(k.lower() == "operations" for k in doc):
            add("fuzz_patch_apply", doc)
            for op in doc.get("Operations", []):
                if isinstance(op, dict) and isinstance(op.get("path"), str):
                    add("fuzz_patch_path", op["path"])
        elif isinstance(doc, dict):
            add("fuzz_validate", doc)

# --- the IdP request sequences (TRAFFIC.md shapes).
for seq in sorted((ROOT / "tests/conformance/sequences").glob("*.json")):
    for step in json.loads(seq.read_text()).get("steps", []):
        method, path, body = step.get("method"), step.get("path", ""), step.get("body")
        path = path.replace("${uuid}", "8d5e7a1c-0f7b-4c1e-9a53-1b2f3c4d5e6f").replace("${uniq}", "42")
        add("fuzz_http_wire", "/scim/v2/demo" + path)
        if "?" in path:
            query = path.split("?", 1)[1]
            add("fuzz_query", query)
            for name, value in urllib.parse.parse_qsl(query):
                if name.lower() == "filter":
                    add("fuzz_filter", value)
        if isinstance(body, dict):
            text = json.dumps(body).replace("${uuid}", "8d5e7a1c").replace("${uniq}", "42")
            body = json.loads(text)
            if method == "PATCH":
                add("fuzz_patch_apply", body)
                for op in body.get("Operations", []):
                    if isinstance(op, dict) and isinstance(op.get("path"), str):
                        add("fuzz_patch_path", op["path"])
            elif path.endswith(".search"):
                add("fuzz_query", body)
            elif method in ("POST", "PUT"):
                add("fuzz_validate", body)

# --- hand-written shapes the sources above may not cover.
for text in ['emails[type eq "work"].value eq "a@b.c"', 'userName eq "x" and not (active eq false)',
             'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m"',
             'meta.lastModified gt "2011-05-13T04:42:34Z"', 'x gt -1.5e3', 'members[value eq "a" or value eq "b"]',
             'name.familyName co "O\'Malley"', 'title pr or userType eq null']:
    add("fuzz_filter", text)
for text in ['members[value eq "2819c223"]', 'emails[type eq "work"].value', 'name.givenName',
             'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager',
             'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'addresses[type eq "work"].locality',
             'members[value eq "a" or value eq "b"]', 'roles[primary eq True]', '']:
    add("fuzz_patch_path", text)
for text in ['filter=userName%20eq%20%22bjensen%22&startIndex=1&count=10',
             'sortBy=name.familyName&sortOrder=descending&attributes=userName,emails',
             'excludedAttributes=members&count=-5&startIndex=0', 'cursor&count=2', 'cursor=abc%3D%3D&count=100',
             'filter=displayName+eq+%22Sales+Team%22', 'count=9223372036854775807', 'a=%zz', 'a=%4', '&&=&']:
    add("fuzz_query", text)
add("fuzz_query", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                   "filter": 'userName sw "b"', "attributes": ["userName", "name.givenName"],
                   "sortBy": "userName", "sortOrder": "ascending", "startIndex": 1, "count": 10})
add("fuzz_query", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                   "excludedAttributes": "members,meta", "cursor": "", "count": 5})
add("fuzz_validate", {"userName": "entra@contoso.test", "active": "True",
                      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales",
                      "emails": {"value": "a@b.c", "type": "work", "primary": "true"}})
add("fuzz_validate", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
                                  "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/Group"],
                      "displayName": "Sales", "members": [{"value": "u1", "$ref": None}, {"value": "u2", "type": "User"}]})
# fuzz_http_wire: a request-target, then header name/value pairs, each field ended by 0xFF.
for target, headers in [("/scim/v2/acme/Users?filter=userName%20eq%20%22a%40b.c%22", [("ETag", 'W/"3"')]),
                        ("http://host:8080/scim/v2/Users/%41%42?x", [("Location", "http://h/x"), ("Allow", "GET")]),
                        ("*", [("Content-Length", "5"), ("Connection", "close")]),
                        ("/a%00b", [("X-Split", "v\r\nInjected: 1")]),
                        ("/a%zz", [("Bad Name", "v"), ("Transfer-Encoding", "chunked"), ("Keep-Alive", "t")])]:
    data = target.encode() + b"\xff" + b"".join(n.encode() + b"\xff" + v.encode() + b"\xff" for n, v in headers)
    add("fuzz_http_wire", data)

# A stored document and a PATCH body, separated by NUL (fuzz_patch_apply's two-part input).
user = {"userName": "u@x.test", "emails": [{"value": "u@x.test", "type": "work", "primary": True}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m1"}}}
patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
         "Operations": [{"op": "Replace", "path": 'emails[type eq "work"].value', "value": "v@x.test"},
                        {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]}
add("fuzz_patch_apply", json.dumps(user, separators=(",", ":")).encode() + b"\0" +
    json.dumps(patch, separators=(",", ":")).encode())

for target, items in seeds.items():
    directory = OUT / target
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    for data in items[:MAX_FILES]:
        (directory / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)
    print(f"{target}: {min(len(items), MAX_FILES)} seeds")
