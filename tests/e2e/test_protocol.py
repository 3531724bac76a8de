"""The protocol surface beyond create/read/update/delete: sorting (RFC 7644 §3.4.2.3), cursor
pagination (RFC 9865), POST .search (§3.4.3) per resource type and at the root, and ETags with
If-Match / If-None-Match (§3.14). Each bad request gets the documented error and changes nothing."""
import threading
import unittest
import uuid

from harness import LIST_RESPONSE, ServerTestCase, new_user, patch_op, q

SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"



class Sorting(ServerTestCase):
    """A directory of six users whose sort keys are known; `tag` keeps them apart from others."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tag = uuid.uuid4().hex[:6]
        c = cls.server.client()
        # userName order differs from creation order and from familyName order; one has no title,
        # one has no emails, one has a non-primary first email.
        people = [
            ("delta", "Ng", "Engineer", [("d-work@x.example", True)]),
            ("Alpha", "Young", "architect", [("z-home@x.example", False), ("a-work@x.example", True)]),
            ("charlie", "abbott", None, [("c@x.example", False)]),
            ("bravo", "Moss", "Director", []),
            ("echo", "Ng", "engineer", [("e@x.example", True)]),
            ("foxtrot", "Zed", "Analyst", [("f@x.example", True)]),
        ]
        cls.ids = {}
        for name, family, title, emails in people:
            body = new_user(f"{name}.{cls.tag}@sort.example", name={"givenName": name, "familyName": family},
                            emails=[{"value": v, "primary": p, "type": "work"} for v, p in emails])
            if not emails:
                del body["emails"]
            if title:
                body["title"] = title
            body[ENTERPRISE] = {"employeeNumber": str(len(cls.ids) * 7 % 5)}
            r = c.post("/Users", body)
            assert r.status == 201, r.text
            cls.ids[name] = r.json["id"]
        c.close()

    def names(self, **params) -> list[str]:
        params.setdefault("filter", f'userName ew ".{self.tag}@sort.example"')
        r = self.scim.get(q("/Users", **params))
        body = self.assertListResponse(r)
        return [u["userName"].split(".")[0] for u in body["Resources"]]

    def test_sort_by_user_name_ignores_case_ascending_and_descending(self):
        expected = ["Alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]
        self.assertEqual(self.names(sortBy="userName"), expected)
        self.assertEqual(self.names(sortBy="userName", sortOrder="ascending"), expected)
        self.assertEqual(self.names(sortBy="username", sortOrder="DESCENDING"), expected[::-1])

    def test_sort_by_sub_attribute_ties_keep_creation_order(self):
        # abbott < Moss < Ng (delta, then echo: created in that order) < Young < Zed
        self.assertEqual(self.names(sortBy="name.familyName"),
                         ["charlie", "bravo", "delta", "echo", "Alpha", "foxtrot"])
        self.assertEqual(self.names(sortBy="name.familyName", sortOrder="descending"),
                         ["foxtrot", "Alpha", "echo", "delta", "bravo", "charlie"])

    def test_missing_values_sort_last_ascending_first_descending(self):
        self.assertEqual(self.names(sortBy="title"),
                         ["foxtrot", "Alpha", "bravo", "delta", "echo", "charlie"])
        self.assertEqual(self.names(sortBy="title", sortOrder="descending"),
                         ["charlie", "echo", "delta", "bravo", "Alpha", "foxtrot"])

    def test_multi_valued_sorts_by_primary_else_first_value(self):
        # Alpha's primary is a-work (not its first, z-home); charlie has only a non-primary c@;
        # bravo has no emails at all and so comes last.
        self.assertEqual(self.names(sortBy="emails"), ["Alpha", "charlie", "delta", "echo", "foxtrot", "bravo"])
        self.assertEqual(self.names(sortBy="emails.value"), ["Alpha", "charlie", "delta", "echo", "foxtrot", "bravo"])

    def test_sort_by_extension_attribute_and_meta(self):
        numbers = self.scim.get(q("/Users", filter=f'userName ew ".{self.tag}@sort.example"',
                                  sortBy=f"{ENTERPRISE}:employeeNumber"))
        body = self.assertListResponse(numbers, 6)
        values = [u[ENTERPRISE]["employeeNumber"] for u in body["Resources"]]
        self.assertEqual(values, sorted(values))
        self.assertEqual(self.names(sortBy="meta.created"),
                         ["delta", "Alpha", "charlie", "bravo", "echo", "foxtrot"])

    def test_cursor_walks_match_index_order_also_over_missing_values(self):
        flt = f'userName ew ".{self.tag}@sort.example"'
        for sort_by in ("title", "emails", "name.familyName", "userName"):
            for order in ("ascending", "descending"):
                expected = self.names(sortBy=sort_by, sortOrder=order)
                pages, cursor = [], ""
                while True:  # forward, one or two at a time so every null/non-null boundary is a page edge
                    body = self.assertCursorPage(q("/Users", filter=flt, sortBy=sort_by, sortOrder=order,
                                                   cursor=cursor, count=1 + len(pages) % 2))
                    pages.append(body)
                    if "nextCursor" not in body:
                        break
                    cursor = body["nextCursor"]
                forward = [u["userName"].split(".")[0] for p in pages for u in p["Resources"]]
                self.assertEqual(forward, expected, f"{sort_by} {order}")
                # And back again from the last page.
                backward, body = [], pages[-1]
                while "previousCursor" in body:
                    body = self.assertCursorPage(q("/Users", filter=flt, sortBy=sort_by, sortOrder=order,
                                                   cursor=body["previousCursor"], count=2))
                    backward = [u["userName"].split(".")[0] for u in body["Resources"]] + backward
                last = [u["userName"].split(".")[0] for u in pages[-1]["Resources"]]
                self.assertEqual(backward + last, expected, f"{sort_by} {order} backward")

    def assertCursorPage(self, path: str) -> dict:
        r = self.scim.get(path)
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json["totalResults"], 6)
        return r.json

    def test_sort_applies_before_paging(self):
        page = self.names(sortBy="userName", startIndex=3, count=2)
        self.assertEqual(page, ["charlie", "delta"])

    def test_groups_sort_by_display_name(self):
        tag = uuid.uuid4().hex[:6]
        for name in ("beta", "Alpha", "gamma"):
            self.assertEqual(self.scim.post("/Groups", {"displayName": f"{name} {tag}"}).status, 201)
        r = self.scim.get(q("/Groups", filter=f'displayName ew " {tag}"', sortBy="displayName", sortOrder="descending"))
        body = self.assertListResponse(r, 3)
        self.assertEqual([g["displayName"].split()[0] for g in body["Resources"]], ["gamma", "beta", "Alpha"])

    def test_bad_sort_requests_are_400_and_name_the_problem(self):
        for params, needle in (({"sortBy": "nosuch"}, "nosuch"),
                               ({"sortBy": "name"}, "name"),
                               ({"sortBy": "groups"}, "groups"),
                               ({"sortBy": "userName", "sortOrder": "sideways"}, "sideways")):
            r = self.scim.get(q("/Users", **params))
            self.assertScimError(r, 400, "invalidValue")
            self.assertIn(needle, r.json["detail"])


class CursorPagination(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tag = uuid.uuid4().hex[:6]
        c = cls.server.client()
        cls.created = []
        for i in range(23):
            r = c.post("/Users", new_user(f"u{i:02d}.{cls.tag}@cursor.example"))
            assert r.status == 201, r.text
            cls.created.append(r.json["userName"])
        c.close()

    def page(self, **params) -> dict:
        params.setdefault("filter", f'userName ew ".{self.tag}@cursor.example"')
        r = self.scim.get(q("/Users", **params))
        self.assertEqual(r.status, 200, r.text)
        body = r.json
        self.assertEqual(body["schemas"], [LIST_RESPONSE])
        self.assertEqual(body["itemsPerPage"], len(body["Resources"]))
        self.assertNotIn("startIndex", body, "cursor pages have no startIndex")
        return body

    def walk(self, **params) -> list[str]:
        seen, cursor, pages = [], "", 0
        while True:
            body = self.page(cursor=cursor, count=5, **params)
            self.assertEqual(body["totalResults"], 23)
            seen += [u["userName"] for u in body["Resources"]]
            pages += 1
            self.assertLess(pages, 10, "the walk must end")
            if "nextCursor" not in body:
                return seen
            cursor = body["nextCursor"]

    def test_walk_forward_sees_every_user_once_in_order(self):
        self.assertEqual(self.walk(), self.created)
        self.assertEqual(self.walk(sortBy="userName", sortOrder="descending"), sorted(self.created, reverse=True))

    def test_first_page_has_no_previous_cursor_and_last_page_no_next(self):
        first = self.page(cursor="", count=5)
        self.assertNotIn("previousCursor", first)
        self.assertIn("nextCursor", first)
        everything = self.page(cursor="", count=100)
        self.assertEqual(len(everything["Resources"]), 23)
        self.assertNotIn("nextCursor", everything)

    def test_previous_cursor_returns_the_page_before(self):
        first = self.page(cursor="", count=5, sortBy="userName")
        second = self.page(cursor=first["nextCursor"], count=5, sortBy="userName")
        third = self.page(cursor=second["nextCursor"], count=5, sortBy="userName")
        back = self.page(cursor=third["previousCursor"], count=5, sortBy="userName")
        self.assertEqual(back["Resources"], second["Resources"])
        self.assertIn("nextCursor", back)
        back_again = self.page(cursor=back["previousCursor"], count=5, sortBy="userName")
        self.assertEqual(back_again["Resources"], first["Resources"])
        self.assertNotIn("previousCursor", back_again, "nothing comes before the first page")

    def test_rows_inserted_or_deleted_meanwhile_shift_nothing(self):
        tag = uuid.uuid4().hex[:6]
        names = []
        for i in range(6):
            r = self.scim.post("/Users", new_user(f"m{i}.{tag}@shift.example"))
            names.append((r.json["userName"], r.json["id"]))
        flt = f'userName ew ".{tag}@shift.example"'
        first = self.page(cursor="", count=3, filter=flt)
        self.assertEqual([u["userName"] for u in first["Resources"]], [n for n, _ in names[:3]])
        # Delete a user already seen; with offsets the next page would skip one.
        self.assertEqual(self.scim.delete(f"/Users/{names[0][1]}").status, 204)
        second = self.page(cursor=first["nextCursor"], count=3, filter=flt)
        self.assertEqual([u["userName"] for u in second["Resources"]], [n for n, _ in names[3:]])

    def test_bad_cursors_are_400_invalid_cursor(self):
        first = self.page(cursor="", count=5)
        for cursor in ("not-a-cursor!", "eyJ4IjoxfQ", first["nextCursor"][:-3]):
            r = self.scim.get(q("/Users", cursor=cursor, count=5))
            self.assertScimError(r, 400, "invalidCursor")
        # A cursor from one query is refused on another (another filter, another sort).
        r = self.scim.get(q("/Users", cursor=first["nextCursor"], count=5, filter='userName sw "x"'))
        self.assertScimError(r, 400, "invalidCursor")
        r = self.scim.get(q("/Users", cursor=first["nextCursor"], count=5, sortBy="userName",
                            filter=f'userName ew ".{self.tag}@cursor.example"'))
        self.assertScimError(r, 400, "invalidCursor")

    def test_cursor_and_start_index_together_are_400(self):
        r = self.scim.get(q("/Users", cursor="", startIndex=1))
        self.assertScimError(r, 400, "invalidValue")


class Search(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tag = uuid.uuid4().hex[:6]
        c = cls.server.client()
        cls.users = [c.post("/Users", new_user(f"s{i}.{cls.tag}@search.example", title=f"t{i}")).json for i in range(3)]
        cls.group = c.post("/Groups", {"displayName": f"Searchers {cls.tag}",
                                       "members": [{"value": u["id"]} for u in cls.users]}).json
        c.close()

    def search(self, path: str, body: dict):
        return self.scim.post(path, {"schemas": [SEARCH_REQUEST], **body})

    def test_users_search_filters_sorts_pages_and_projects(self):
        r = self.search("/Users/.search", {"filter": f'userName ew ".{self.tag}@search.example"',
                                           "sortBy": "title", "sortOrder": "descending",
                                           "startIndex": 2, "count": 1, "attributes": ["userName"]})
        body = self.assertListResponse(r, 3)
        self.assertEqual(body["startIndex"], 2)
        self.assertEqual(len(body["Resources"]), 1)
        user = body["Resources"][0]
        self.assertEqual(user["userName"], self.users[1]["userName"])
        self.assertEqual(user["id"], self.users[1]["id"])
        self.assertNotIn("title", user)
        self.assertNotIn("emails", user)

    def test_list_pages_show_each_users_groups(self):
        loner = self.scim.post("/Users", new_user(f"loner.{self.tag}@search.example")).json
        self.addCleanup(self.scim.delete, f"/Users/{loner['id']}")  # the other tests count three users
        r = self.scim.get(q("/Users", filter=f'userName ew ".{self.tag}@search.example"', sortBy="userName"))
        body = self.assertListResponse(r, 4)
        for user in body["Resources"]:
            if user["id"] == loner["id"]:
                self.assertNotIn("groups", user)
            else:
                self.assertEqual([g["value"] for g in user["groups"]], [self.group["id"]], user["userName"])
                self.assertEqual(user["groups"][0]["display"], self.group["displayName"])

    def test_groups_search_with_excluded_members(self):
        r = self.search("/Groups/.search", {"filter": f'displayName eq "Searchers {self.tag}"',
                                            "excludedAttributes": "members"})
        body = self.assertListResponse(r, 1)
        self.assertEqual(body["Resources"][0]["id"], self.group["id"])
        self.assertNotIn("members", body["Resources"][0])

    def test_root_search_spans_users_and_groups(self):
        r = self.search("/.search", {"filter": f'meta.created ge "{self.users[0]["meta"]["created"]}"',
                                     "sortBy": "meta.created", "count": 100})
        body = self.assertListResponse(r, 4)
        kinds = [x["meta"]["resourceType"] for x in body["Resources"]]
        self.assertEqual(kinds, ["User", "User", "User", "Group"])
        self.assertTrue(body["Resources"][3]["meta"]["location"].endswith("/Groups/" + self.group["id"]))
        # An attribute only users have: groups simply do not match.
        r = self.search("/.search", {"filter": f'userName ew ".{self.tag}@search.example"'})
        self.assertListResponse(r, 3)
        r = self.search("/.search", {"filter": f'displayName eq "Searchers {self.tag}"'})
        body = self.assertListResponse(r, 1)
        self.assertEqual(body["Resources"][0]["id"], self.group["id"])
        # The shared base URL searches the credential's tenant.
        shared = self.server.client(prefix="/scim/v2")
        body = self.assertListResponse(shared.post("/.search", {"filter": f'userName ew ".{self.tag}@search.example"'}), 3)
        shared.close()
        self.assertEqual(len(body["Resources"]), 3)

    def test_bad_search_requests(self):
        self.assertScimError(self.search("/Users/.search", {"filter": "userName eq"}), 400, "invalidFilter")
        self.assertScimError(self.search("/.search", {"filter": 'nosuch eq "x"'}), 400, "invalidFilter")
        self.assertScimError(self.search("/Users/.search", {"count": "ten"}), 400)
        self.assertScimError(self.search("/Users/.search", {"attributes": [1, 2]}), 400, "invalidValue")
        self.assertScimError(self.scim.request("POST", "/Users/.search", raw=b"{not json",
                                               headers={"Content-Type": "application/scim+json"}), 400, "invalidSyntax")
        self.assertScimError(self.scim.get("/Users/.search"), 405)


class ETags(ServerTestCase):
    def create(self) -> dict:
        r = self.scim.post("/Users", new_user(f"etag.{uuid.uuid4().hex[:10]}@example.com"))
        self.assertEqual(r.status, 201, r.text)
        return r.json

    def test_if_none_match_answers_304_until_the_resource_changes(self):
        user = self.create()
        etag = user["meta"]["version"]
        r = self.scim.get(f"/Users/{user['id']}", headers={"If-None-Match": etag})
        self.assertEqual(r.status, 304)
        self.assertEqual(r.header("ETag"), etag)
        self.assertEqual(r.text, "")
        self.assertEqual(self.scim.get(f"/Users/{user['id']}", headers={"If-None-Match": '"1", *'}).status, 304)
        self.scim.patch(f"/Users/{user['id']}", patch_op({"op": "replace", "path": "title", "value": "New"}))
        r = self.scim.get(f"/Users/{user['id']}", headers={"If-None-Match": etag})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json["title"], "New")
        self.assertNotEqual(r.header("ETag"), etag)

    def test_if_match_guards_put_patch_and_delete(self):
        user = self.create()
        path = f"/Users/{user['id']}"
        stale = user["meta"]["version"]
        r = self.scim.patch(path, patch_op({"op": "replace", "path": "title", "value": "One"}),
                            headers={"If-Match": stale})
        self.assertEqual(r.status, 200, r.text)
        current = r.json["meta"]["version"]
        self.assertNotEqual(current, stale)

        # Every write with the stale tag is refused and changes nothing.
        put_body = dict(r.json, title="Two")
        for method, body in (("PATCH", patch_op({"op": "replace", "path": "title", "value": "Two"})),
                             ("PUT", put_body), ("DELETE", None)):
            r = self.scim.request(method, path, body, headers={"If-Match": stale})
            self.assertScimError(r, 412)
            self.assertIn(current, r.json["detail"])
        after = self.scim.get(path).json
        self.assertEqual(after["title"], "One")
        self.assertEqual(after["meta"]["version"], current)

        # The current tag, weak or strong spelling, or *, lets it through.
        strong = current[2:]  # W/"3" -> "3"
        self.assertEqual(self.scim.put(path, put_body, headers={"If-Match": strong}).status, 200)
        self.assertEqual(self.scim.delete(path, headers={"If-Match": "*"}).status, 204)
        self.assertScimError(self.scim.delete(path, headers={"If-Match": "*"}), 404)

    def test_concurrent_writers_with_the_same_tag_exactly_one_wins(self):
        user = self.create()
        path = f"/Users/{user['id']}"
        tag = user["meta"]["version"]
        statuses = []

        def write(i):
            c = self.server.client()
            r = c.patch(path, patch_op({"op": "replace", "path": "title", "value": f"writer {i}"}),
                        headers={"If-Match": tag})
            statuses.append(r.status)
            c.close()

        threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(sorted(statuses), [200] + [412] * 7)

    def test_groups_honour_if_match(self):
        group = self.scim.post("/Groups", {"displayName": f"ETag group {uuid.uuid4().hex[:8]}"}).json
        r = self.scim.patch(f"/Groups/{group['id']}", patch_op({"op": "replace", "path": "displayName", "value": "x"}),
                            headers={"If-Match": 'W/"999"'})
        self.assertScimError(r, 412)
        self.assertEqual(self.scim.get(f"/Groups/{group['id']}").json["displayName"], group["displayName"])


if __name__ == "__main__":
    unittest.main()
