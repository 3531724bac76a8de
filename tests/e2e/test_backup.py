"""scimd backup and scimd restore (issue 9, item 6): an online, consistent copy taken while
clients write, restored into a new data directory and into a running server, and compared."""
from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import threading
import unittest

from harness import GROUP_SCHEMA, ON_POSTGRES, Server, new_user, patch_op, q, run_cli


@unittest.skipIf(ON_POSTGRES, "scimd backup and restore copy the SQLite file; PostgreSQL uses pg_dump")
class BackupRestore(unittest.TestCase):
    def setUp(self):
        self.server = Server().start()
        self.token = self.server.demo_token
        self.scim = self.server.client(self.token)
        self.dir = tempfile.mkdtemp(prefix="scimd-backup-")

    def tearDown(self):
        self.scim.close()
        self.server.stop()
        self.server.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)

    def snapshot(self, client) -> dict:
        """Users and groups as the API shows them, without what differs between servers (ports)."""
        def strip(resource):
            resource.get("meta", {}).pop("location", None)
            for ref in resource.get("members", []) + resource.get("groups", []):
                ref.pop("$ref", None)
            return resource
        users = client.get(q("/Users", count=1000)).json["Resources"]
        groups = client.get(q("/Groups", count=1000)).json["Resources"]
        return {r["id"]: strip(r) for r in users + groups}

    def test_backup_while_writing_then_restore_elsewhere_and_compare(self):
        ids = [self.scim.post("/Users", new_user(f"b{i}@example.com")).json["id"] for i in range(20)]
        group = self.scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "Backed up",
                                           "members": [{"value": u} for u in ids[:5]]}).json["id"]
        self.scim.patch(f"/Users/{ids[0]}", patch_op({"op": "replace", "value": {"active": False}}))

        # Writers keep going during the backup: the copy is one consistent snapshot of some moment.
        stop = threading.Event()

        def write():
            client = self.server.client(self.token)
            n = 0
            while not stop.is_set():
                client.post("/Users", new_user(f"during{n}@example.com"))
                n += 1
            client.close()

        writer = threading.Thread(target=write)
        writer.start()
        backup = os.path.join(self.dir, "scimd-backup.db")
        try:
            result = self.server.cli("backup", backup)
        finally:
            stop.set()
            writer.join()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Backed up", result.stdout)
        self.assertFalse(os.path.exists(backup + "-wal"), "the backup is one file")
        self.assertEqual(sqlite3.connect(backup).execute("PRAGMA integrity_check").fetchall(), [("ok",)])
        self.assertEqual(self.server.cli("backup", backup).returncode, 2, "an existing file is never overwritten")

        # Restore into a new data directory, start a server on it: the same users and groups.
        restored_dir = os.path.join(self.dir, "restored")
        restored = run_cli("restore", backup, data_dir=restored_dir)
        self.assertEqual(restored.returncode, 0, restored.stderr)
        other = Server(data_dir=restored_dir).start()
        try:
            self.assertIsNone(other.demo_token, "a restored directory is not a new one")
            copy = other.client(self.token)  # the tokens came along
            restored_state = self.snapshot(copy)
            for rid in ids + [group]:
                self.assertIn(rid, restored_state)
            self.assertIs(restored_state[ids[0]]["active"], False)
            self.assertEqual({m["value"] for m in restored_state[group]["members"]}, set(ids[:5]))
            # Every "during" user in the copy is whole (no half-written rows).
            for resource in restored_state.values():
                if resource.get("userName", "").startswith("during"):
                    self.assertEqual(resource["emails"][0]["value"], resource["userName"])
            copy.close()
        finally:
            other.stop()
            other.cleanup()

    def test_restore_into_a_running_server(self):
        kept = self.scim.post("/Users", new_user("kept@example.com")).json["id"]
        backup = os.path.join(self.dir, "before.db")
        self.assertEqual(self.server.cli("backup", backup).returncode, 0)
        before = self.snapshot(self.scim)
        later = self.scim.post("/Users", new_user("later@example.com")).json["id"]
        self.scim.delete(f"/Users/{kept}")

        refused = self.server.cli("restore", backup)
        self.assertEqual(refused.returncode, 2)
        self.assertIn("--force", refused.stderr)
        self.assertEqual(self.scim.get(f"/Users/{later}").status, 200, "a refused restore changes nothing")

        result = self.server.cli("restore", backup, "--force")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.scim.get(f"/Users/{kept}").status, 200, "the running server answers from the backup")
        self.assertEqual(self.scim.get(f"/Users/{later}").status, 404)
        self.assertEqual(self.snapshot(self.scim), before)
        # And keeps working on it.
        self.assertEqual(self.scim.post("/Users", new_user("after@example.com")).status, 201)
        self.server.stop()
        self.assertEqual(sqlite3.connect(f"{self.server.data_dir}/scimd.db").execute("PRAGMA integrity_check")
                         .fetchall(), [("ok",)])
        self.server.start()

    def test_bad_backups_are_refused_and_change_nothing(self):
        uid = self.scim.post("/Users", new_user("safe@example.com")).json["id"]
        garbage = os.path.join(self.dir, "garbage.db")
        with open(garbage, "wb") as f:
            f.write(b"this is not a database" * 100)
        foreign = os.path.join(self.dir, "foreign.db")
        sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.commit()
        newer = os.path.join(self.dir, "newer.db")
        self.assertEqual(self.server.cli("backup", newer).returncode, 0)
        connection = sqlite3.connect(newer)
        connection.execute("PRAGMA user_version = 999")
        connection.commit()
        connection.close()
        for path, words in ((garbage, "not an SQLite database"), (foreign, "not one of scimd's"),
                            (newer, "newer scimd"), (os.path.join(self.dir, "missing.db"), "no file")):
            result = self.server.cli("restore", path, "--force")
            self.assertEqual(result.returncode, 2, path)
            self.assertIn(words, result.stderr, path)
        self.assertEqual(self.scim.get(f"/Users/{uid}").status, 200)


if __name__ == "__main__":
    unittest.main()
