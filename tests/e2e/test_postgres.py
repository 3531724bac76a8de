"""scimd on PostgreSQL (storage = "postgres://…", here through SCIMD_STORAGE): two instances share one
database, the database holds uniqueness and membership, and either instance sees every change.

Needs a server: SCIMD_TEST_POSTGRES names one (tools/test starts a throwaway cluster with
tools/pg-test-cluster). Without it the suite is skipped, except in CI (CI=true), where it fails.
Each test class gets a database of its own on that server, made and dropped with psql.
"""
from __future__ import annotations

import os
import subprocess
import threading
import unittest
import uuid

from harness import BINARY, Server, new_user, patch_op, q

SERVER_URL = os.environ.get("SCIMD_TEST_POSTGRES", "")


def psql(url: str, sql: str) -> str:
    result = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise AssertionError(f"psql {sql!r}: {result.stderr}")
    return result.stdout.strip()


def with_database(url: str, database: str) -> str:
    scheme, rest = url.split("://", 1)
    authority = rest.split("/", 1)[0].split("?", 1)[0]
    query = "?" + url.split("?", 1)[1] if "?" in url else ""
    return f"{scheme}://{authority}/{database}{query}"


@unittest.skipUnless(SERVER_URL or os.environ.get("CI") == "true",
                     "SCIMD_TEST_POSTGRES is not set (tools/pg-test-cluster start prints a URL for it)")
class TwoInstancesOnOnePostgres(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not SERVER_URL:
            raise AssertionError("CI runs this suite against PostgreSQL: SCIMD_TEST_POSTGRES must be set")
        cls.database = "scimd_e2e_" + uuid.uuid4().hex[:12]
        psql(SERVER_URL, f"CREATE DATABASE {cls.database}")
        cls.url = with_database(SERVER_URL, cls.database)
        env = {"SCIMD_STORAGE": cls.url}
        # The first start on an empty database creates the schema and the demo tenant; the second
        # instance finds both.
        cls.first = Server(env=env).start()
        assert cls.first.demo_token, "the first start on an empty database prints the demo token"
        cls.second = Server(env=env).start()
        cls.token = cls.first.demo_token

    @classmethod
    def tearDownClass(cls):
        codes = [cls.first.stop(), cls.second.stop()]
        cls.first.cleanup()
        cls.second.cleanup()
        psql(SERVER_URL, f"DROP DATABASE IF EXISTS {cls.database} WITH (FORCE)")
        assert codes == [0, 0], f"scimd exited {codes}"

    def test_the_second_instance_found_the_schema_and_printed_no_demo_token(self):
        self.assertIsNone(self.second.demo_token)
        self.assertEqual(psql(self.url, "SELECT count(*) FROM tenants WHERE name = 'demo'"), "1")
        migrate = self.first.cli("migrate", check=True)
        self.assertIn("nothing to do", migrate.stdout)

    def test_a_user_created_on_one_instance_is_read_on_the_other(self):
        a, b = self.first.client(self.token), self.second.client(self.token)
        try:
            created = a.post("/Users", new_user("crossover@example.com"))
            self.assertEqual(created.status, 201, created.text)
            user_id = created.json["id"]
            read = b.get(f"/Users/{user_id}")
            self.assertEqual(read.status, 200, read.text)
            self.assertEqual(read.json["userName"], "crossover@example.com")
            found = b.get(q("/Users", filter='userName eq "CROSSOVER@example.com"'))
            self.assertEqual(found.json["totalResults"], 1, found.text)
            again = b.post("/Users", new_user("Crossover@Example.com"))
            self.assertEqual(again.status, 409, again.text)
            self.assertEqual(again.json.get("scimType"), "uniqueness")
        finally:
            a.close()
            b.close()

    def test_concurrent_clients_on_both_instances_create_each_name_once_and_lose_no_member(self):
        setup = self.first.client(self.token)
        try:
            group = setup.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                           "displayName": "Everyone " + uuid.uuid4().hex[:6]})
            self.assertEqual(group.status, 201, group.text)
            group_id = group.json["id"]
        finally:
            setup.close()
        names = [f"overlap{i}@example.com" for i in range(8)]
        statuses: dict[str, list[int]] = {name: [] for name in names}
        created_ids: list[str] = []
        errors: list[str] = []
        lock = threading.Lock()

        def work(worker: int):
            server = self.first if worker % 2 == 0 else self.second
            client = server.client(self.token)
            try:
                for name in names:  # every worker tries every name: 16 tries per name
                    spelled = name.upper() if worker % 3 == 0 else name
                    response = client.post("/Users", new_user(spelled))
                    with lock:
                        statuses[name].append(response.status)
                    if response.status == 201:
                        user_id = response.json["id"]
                        with lock:
                            created_ids.append(user_id)
                        patched = client.patch(f"/Groups/{group_id}", patch_op(
                            {"op": "add", "path": "members", "value": [{"value": user_id}]}))
                        if patched.status not in (200, 204):
                            with lock:
                                errors.append(f"PATCH {patched.status}: {patched.text}")
                    elif response.status != 409:
                        with lock:
                            errors.append(f"POST {response.status}: {response.text}")
            finally:
                client.close()

        threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        for name in names:
            self.assertEqual(sorted(statuses[name]), [201] + [409] * 15, name)
        for server in (self.first, self.second):
            client = server.client(self.token)
            try:
                members = client.get(f"/Groups/{group_id}")
                self.assertEqual(members.status, 200, members.text)
                self.assertEqual(sorted(m["value"] for m in members.json.get("members", [])), sorted(created_ids))
                for user_id in created_ids:
                    self.assertEqual(client.get(f"/Users/{user_id}").status, 200)
            finally:
                client.close()


class StorageSettingIsChecked(unittest.TestCase):
    def test_an_unknown_storage_is_refused_at_start(self):
        result = subprocess.run([BINARY, "migrate", "--data", "/nonexistent-scimd"],
                                capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                                env=dict(os.environ, SCIMD_STORAGE="mysql://nope"))
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("storage", result.stderr)


if __name__ == "__main__":
    unittest.main()
