"""Crash durability (issue 9, item 1): concurrent creates, PATCHes and group member changes while
scimd is killed with SIGKILL at random moments, several times. After the last restart:

- every request answered 2xx is fully there; a request cut off by the kill (no answer) may or may
  not have happened, but nothing else did;
- requests answered with an error left no trace (no resource, no event);
- the database passes PRAGMA integrity_check;
- the outbox matches the data: replaying the change feed gives every user's and group's current
  state and every group's members.

Bounded: a fixed number of kills, each after a random 1-3 s of load."""
from __future__ import annotations

import http.client
import json
import random
import signal
import sqlite3
import threading
import time
import unittest

from harness import GROUP_SCHEMA, Server, new_user, patch_op, q

KILLS = 4
WORKERS = 4
SEED = 20261202


class Worker:
    """One client thread owning its users and one group, so each resource's expected state is the
    order of this thread's own requests. Records what was acknowledged and what was cut off."""

    def __init__(self, index: int, rng: random.Random):
        self.index = index
        self.rng = rng
        self.users: dict[str, dict] = {}      # id -> {"userName", "title": last acknowledged, "maybe": {cut off}}
        self.group: str | None = None
        self.members: set[str] = set()        # acknowledged membership
        self.maybe_members: set[str] = set()  # cut off mid-change: in or out
        self.uncertain_creates: set[str] = set()  # userNames whose create got no answer
        self.refused: list[str] = []          # userNames whose create was refused (409)
        self.counter = 0

    def step(self, port: int, token: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}

        def send(method: str, path: str, body) -> tuple[int, dict | None]:
            try:
                conn.request(method, "/scim/v2/demo" + path, json.dumps(body), headers)
                response = conn.getresponse()
                text = response.read()
            except http.client.HTTPException as e:  # cut off mid-response: as uncertain as no answer
                raise OSError(f"{method} {path}: {e!r}") from e
            return response.status, json.loads(text) if text else None

        if self.group is None:
            name = f"crash-group-{self.index}"
            try:
                status, body = send("POST", "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": name})
            finally:
                conn.close()
            if status == 201:
                self.group = body["id"]
            return
        choice = self.rng.random()
        self.counter += 1
        try:
            if choice < 0.4 or not self.users:
                user_name = f"crash-{self.index}-{self.counter}@example.com"
                try:
                    status, body = send("POST", "/Users", new_user(user_name, title="t0"))
                except OSError:
                    self.uncertain_creates.add(user_name)
                    raise
                assert status == 201, (status, body)
                self.users[body["id"]] = {"userName": user_name, "title": "t0", "maybe": set()}
            elif choice < 0.5:
                # A create that must be refused: the userName of one of this thread's users.
                user_name = self.users[self.rng.choice(list(self.users))]["userName"]
                status, body = send("POST", "/Users", new_user(user_name.upper()))
                assert status == 409, (status, body)
                self.refused.append(user_name)
            elif choice < 0.75:
                uid = self.rng.choice(list(self.users))
                title = f"t{self.counter}"
                try:
                    status, body = send("PATCH", f"/Users/{uid}",
                                        patch_op({"op": "replace", "path": "title", "value": title}))
                except OSError:
                    self.users[uid]["maybe"].add(title)
                    raise
                assert status == 200, (status, body)
                self.users[uid].update(title=title, maybe=set())
            else:
                uid = self.rng.choice(list(self.users))
                add = uid not in self.members
                op = {"op": "add", "path": "members", "value": [{"value": uid}]} if add else \
                    {"op": "remove", "path": f'members[value eq "{uid}"]'}
                try:
                    status, body = send("PATCH", f"/Groups/{self.group}", patch_op(op))
                except OSError:
                    self.maybe_members.add(uid)
                    raise
                assert status == 204, (status, body)
                self.maybe_members.discard(uid)
                (self.members.add if add else self.members.discard)(uid)
        finally:
            conn.close()


class CrashDurability(unittest.TestCase):
    def test_kill_9_under_load_loses_nothing_and_the_outbox_matches_the_data(self):
        server = Server().start()
        token = server.demo_token
        rng = random.Random(SEED)
        workers = [Worker(i, random.Random(SEED + i)) for i in range(WORKERS)]
        try:
            for kill in range(KILLS + 1):
                stop = threading.Event()
                port = server.port

                def run(worker: Worker):
                    while not stop.is_set():
                        try:
                            worker.step(port, token)
                        except OSError:
                            return  # the server died under us; the request's fate is uncertain

                threads = [threading.Thread(target=run, args=(w,)) for w in workers]
                for t in threads:
                    t.start()
                time.sleep(rng.uniform(1.0, 3.0))
                if kill < KILLS:
                    server.stop(signal.SIGKILL)
                stop.set()
                for t in threads:
                    t.join(30)
                if kill < KILLS:
                    server.start()
                    server.demo_token = token
            self.check(server, token, workers)
        finally:
            code = server.stop()
            self.assertEqual(code, 0)
            integrity = sqlite3.connect(f"{server.data_dir}/scimd.db").execute("PRAGMA integrity_check").fetchall()
            self.assertEqual(integrity, [("ok",)])
            server.cleanup()

    def check(self, server: Server, token: str, workers: list[Worker]) -> None:
        scim = server.client(token)
        key = server.cli("apikey", "issue", check=True).stdout.strip().splitlines()[-1]
        host = server.client(key, prefix="/api/v1/tenants/demo")

        # Replay the feed: the last event of each resource carries its state; member events give
        # each group's members.
        events, cursor = [], ""
        while True:
            page = host.get(q("/events", after=cursor, limit=1000)).json
            events += page["events"]
            if not page["events"]:
                break
            cursor = page["next_cursor"]
        self.assertEqual([int(e["cursor"]) for e in events], sorted(int(e["cursor"]) for e in events))
        last_data: dict[str, dict] = {}
        members: dict[str, set] = {}
        deleted: set[str] = set()
        for e in events:
            rid = e["resource"]["id"]
            if e["type"] in ("group.member_added", "group.member_removed"):
                group = members.setdefault(rid, set())
                (group.add if e["type"] == "group.member_added" else group.discard)(e["member"]["value"])
            if e["type"].endswith(".deleted"):
                deleted.add(rid)
            last_data[rid] = e["data"]

        acknowledged_users = 0
        for w in workers:
            for uid, expected in w.users.items():
                acknowledged_users += 1
                got = scim.get(f"/Users/{uid}")
                self.assertEqual(got.status, 200, f"user {uid} was acknowledged with 201")
                allowed = {expected["title"]} | expected["maybe"]
                self.assertIn(got.json.get("title"), allowed, f"user {uid}")
                self.assertEqual(strip(last_data[uid]), strip(got.json), f"the outbox's last event of {uid}")
            for user_name in w.refused:
                # A refused create leaves no second user of that name and no event for one.
                found = scim.get(q("/Users", filter=f'userName eq "{user_name}"')).json["totalResults"]
                self.assertEqual(found, 1, user_name)
                creations = [e for e in events if e["type"] == "user.created"
                             and e["data"]["userName"].lower() == user_name.lower()]
                self.assertEqual(len(creations), 1, user_name)
            if w.group is None:
                continue
            got = scim.get(f"/Groups/{w.group}").json
            actual = {m["value"] for m in got.get("members", [])}
            self.assertEqual(actual - w.maybe_members, w.members - w.maybe_members, f"group {w.group}")
            self.assertEqual(members.get(w.group, set()), actual, "member events replay to the members")
            self.assertEqual(strip(last_data[w.group]), strip({k: v for k, v in got.items() if k != "members"}))

        # Every user the store has is one the feed created, and one a worker created or lost an
        # answer for: nothing appeared that nobody asked for.
        listed = scim.get(q("/Users", count=1000, attributes="userName")).json["Resources"]
        created = {e["resource"]["id"] for e in events if e["type"] == "user.created"}
        known = {uid for w in workers for uid in w.users}
        uncertain = {name for w in workers for name in w.uncertain_creates}
        for user in listed:
            self.assertIn(user["id"], created - deleted)
            if user["id"] not in known:
                self.assertIn(user["userName"], uncertain, "only a create that lost its answer may be unknown")
        self.assertGreater(acknowledged_users, 20, "the load really ran")
        print(f"\n  crash test: {KILLS} kills, {acknowledged_users} users acknowledged, {len(events)} events, "
              f"{sum(len(w.refused) for w in workers)} refused creates, "
              f"{sum(len(w.uncertain_creates) for w in workers)} creates cut off")
        scim.close()
        host.close()


def strip(resource: dict) -> dict:
    """A resource without what differs between a response and an event across restarts (the
    port in meta.location)."""
    out = {k: v for k, v in resource.items() if k not in ("meta", "groups")}
    meta = dict(resource.get("meta", {}))
    meta.pop("location", None)
    out["meta"] = meta
    return out


if __name__ == "__main__":
    unittest.main()
