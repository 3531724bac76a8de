"""Durability and concurrency: what was acknowledged survives SIGTERM, kill -9 and restarts;
concurrent writers neither corrupt nor lose anything."""
import signal
import threading
import time
import unittest
import uuid

from harness import Server, new_user, patch_op, wait_until


class Durability(unittest.TestCase):
    def setUp(self):
        self.server = Server().start()
        self.token = self.server.demo_token
        self.assertTrue(self.token)

    def tearDown(self):
        self.server.cleanup()

    def restart(self, sig=signal.SIGTERM):
        code = self.server.stop(sig)
        self.server.start()
        self.assertIsNone(self.server.demo_token, "the demo token is printed on the first start only")
        return code

    def test_restart_keeps_all_data(self):
        c = self.server.client(self.token)
        users = [c.post("/Users", new_user(f"keep{i}@example.com")).json["id"] for i in range(5)]
        group = c.post("/Groups", {"displayName": "Kept", "members": [{"value": u} for u in users[:3]]}).json
        c.patch(f"/Users/{users[4]}", patch_op({"op": "replace", "value": {"active": False}}))
        old_origin = f"http://127.0.0.1:{self.server.port}"
        before = {u: c.get(f"/Users/{u}").text.replace(old_origin, "ORIGIN") for u in users}
        c.close()
        self.assertEqual(self.restart(), 0)
        c = self.server.client(self.token)
        new_origin = f"http://127.0.0.1:{self.server.port}"
        for u in users:
            self.assertEqual(c.get(f"/Users/{u}").text.replace(new_origin, "ORIGIN"), before[u])
        after = c.get(f"/Groups/{group['id']}").json
        self.assertEqual(sorted(m["value"] for m in after["members"]), sorted(users[:3]))
        self.assertEqual(after["meta"]["version"], group["meta"]["version"])
        self.assertEqual(after["meta"]["lastModified"], group["meta"]["lastModified"])
        c.close()

    def test_kill_9_loses_nothing_acknowledged(self):
        acknowledged = []
        c = self.server.client(self.token)
        for i in range(40):
            r = c.post("/Users", new_user(f"k9-{i}@example.com"))
            self.assertEqual(r.status, 201)
            acknowledged.append(r.json["id"])
        c.close()
        self.restart(signal.SIGKILL)
        c = self.server.client(self.token)
        for u in acknowledged:
            self.assertEqual(c.get(f"/Users/{u}").status, 200, u)
        self.assertEqual(c.get("/Users?count=0").json["totalResults"], 40)
        c.close()

    def test_drain_turns_readiness_off_before_stopping(self):
        self.server.stop()
        self.server.env = {"SCIMD_DRAIN_SECONDS": "3"}
        self.server.start()
        c = self.server.client(self.token)
        self.assertEqual(c.get("/readyz", absolute=True).status, 200)
        started = time.monotonic()
        self.server.proc.send_signal(signal.SIGTERM)
        self.assertTrue(wait_until(lambda: c.get("/readyz", absolute=True).status == 503, timeout=5),
                        "readiness goes false at once")
        self.assertIn("draining", c.get("/readyz", absolute=True).json["detail"])
        # Everything else is still served while the load balancer moves away.
        self.assertEqual(c.post("/Users", new_user("during-drain@example.com")).status, 201)
        self.assertEqual(self.server.proc.wait(30), 0)
        self.assertGreaterEqual(time.monotonic() - started, 2.5, "it waited the drain time")
        self.assertTrue(any("draining" in line for line in self.server.output))
        c.close()
        self.server.proc = None
        # A second signal cuts the drain short.
        self.server.env = {"SCIMD_DRAIN_SECONDS": "60"}
        self.server.start()
        started = time.monotonic()
        self.server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        self.server.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.server.proc.wait(30), 0)
        self.assertLess(time.monotonic() - started, 20)
        self.server.proc = None

    def test_sigterm_during_requests_exits_cleanly_and_keeps_every_2xx(self):
        acknowledged = []
        errors = []
        lock = threading.Lock()
        stop = threading.Event()

        def writer(n):
            c = self.server.client(self.token)
            for i in range(300):
                if stop.is_set():
                    break
                try:
                    r = c.post("/Users", new_user(f"term-{n}-{i}@example.com"))
                except OSError:
                    break  # the server closed: shutting down
                with lock:
                    if r.status == 201:
                        acknowledged.append(r.json["id"])
                    elif r.status != 503:
                        errors.append((r.status, r.text))
            c.close()

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 20
        while len(acknowledged) < 30 and time.monotonic() < deadline:
            time.sleep(0.01)
        code = self.server.stop(signal.SIGTERM, timeout=30)
        stop.set()
        for t in threads:
            t.join(30)
        self.assertEqual(code, 0, "\n".join(self.server.output[-20:]))
        self.assertEqual(errors, [])
        self.assertGreaterEqual(len(acknowledged), 30)
        self.server.start()
        c = self.server.client(self.token)
        missing = [u for u in acknowledged if c.get(f"/Users/{u}").status != 200]
        self.assertEqual(missing, [])
        c.close()


class Concurrency(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        cls.server.cleanup()
        assert code == 0

    def run_threads(self, count, target):
        threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)

    def test_overlapping_user_names_exactly_one_create_wins(self):
        names = [f"race{i}-{uuid.uuid4().hex[:6]}@example.com" for i in range(20)]
        outcomes = []
        lock = threading.Lock()

        def worker(n):
            c = self.server.client()
            for name in names:
                # Half the threads vary the case: uniqueness is case-insensitive.
                r = c.post("/Users", new_user(name.upper() if n % 2 else name))
                with lock:
                    outcomes.append((name, r.status, r.json.get("scimType") if r.json else None))
            c.close()

        self.run_threads(8, worker)
        for name in names:
            statuses = [s for n, s, _ in outcomes if n == name]
            self.assertEqual(statuses.count(201), 1, (name, statuses))
            self.assertEqual(statuses.count(409), 7, (name, statuses))
        self.assertTrue(all(t == "uniqueness" for _, s, t in outcomes if s == 409))
        c = self.server.client()
        for name in names:
            body = c.get(f'/Users?filter=userName eq "{name}"').json
            self.assertEqual(body["totalResults"], 1, name)
        c.close()

    def test_concurrent_member_patches_lose_nothing(self):
        c = self.server.client()
        group = c.post("/Groups", {"displayName": "Busy"}).json["id"]
        users = [c.post("/Users", new_user(f"m{i}-{uuid.uuid4().hex[:6]}@example.com")).json["id"]
                 for i in range(64)]
        c.close()
        statuses = []

        def worker(n):
            cl = self.server.client()
            mine = users[n * 8:(n + 1) * 8]
            for u in mine:
                # Okta re-sends the group name with every membership change.
                r = cl.patch(f"/Groups/{group}", patch_op(
                    {"op": "replace", "value": {"id": group, "displayName": "Busy"}},
                    {"op": "add", "path": "members", "value": [{"value": u}]}))
                statuses.append(r.status)
            cl.close()

        self.run_threads(8, worker)
        self.assertEqual(set(statuses), {204})
        c = self.server.client()
        members = c.get(f"/Groups/{group}").json["members"]
        self.assertEqual(sorted(m["value"] for m in members), sorted(users))
        c.close()


if __name__ == "__main__":
    unittest.main()
