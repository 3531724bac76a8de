"""Rate limits (429 with Retry-After in whole seconds) and the lockout of failing credentials,
against the real binary over HTTP."""
from __future__ import annotations

import threading
import time
import unittest

from harness import SCIM_ERROR, Client, Server, q
from harness import basic_authorization as basic


class RateLimitCase(unittest.TestCase):
    def start(self, **env) -> Server:
        server = Server(env={k.upper(): str(v) for k, v in env.items()}).start()
        self.addCleanup(server.cleanup)
        self.addCleanup(lambda: self.assertEqual(server.stop(), 0))
        return server

    def assertRateLimited(self, response, limit: str):
        self.assertEqual(response.status, 429, response.text)
        retry_after = response.header("Retry-After")
        self.assertIsNotNone(retry_after)
        self.assertTrue(retry_after.isdigit() and int(retry_after) >= 1, retry_after)  # whole seconds only
        self.assertIn(SCIM_ERROR, response.json["schemas"])
        self.assertEqual(response.json["status"], "429")
        self.assertIn(f"over this {limit}'s rate limit", response.json["detail"])

    def burst(self, client, n: int) -> list:
        return [client.get(q("/Users", count="1")) for _ in range(n)]


class TenantLimitTest(RateLimitCase):
    def test_a_tenant_over_its_limit_gets_429_and_others_do_not(self):
        server = self.start(scimd_rate_limit_tenant=25)  # a burst of 50, then 25 a second
        server.cli("tenant", "create", "other", check=True)
        demo, other = server.client(), server.client(server.issue_token("other"), prefix="/scim/v2/other")
        started = time.monotonic()
        responses = self.burst(demo, 120)
        elapsed = time.monotonic() - started
        ok = [r for r in responses if r.status == 200]
        limited = [r for r in responses if r.status != 200]
        self.assertTrue(limited, "no request was limited")
        self.assertLessEqual(len(ok), 50 + 25 * elapsed + 2)
        self.assertGreaterEqual(len(ok), 50)
        self.assertRateLimited(limited[0], "tenant")
        # Another tenant is not affected.
        self.assertTrue(all(r.status == 200 for r in self.burst(other, 30)))
        # After Retry-After, the tenant is served again.
        time.sleep(int(limited[-1].header("Retry-After")))
        self.assertEqual(demo.get("/Users").status, 200)
        demo.close()
        other.close()

    def test_a_tenant_setting_overrides_the_server_limit_at_once(self):
        server = self.start(scimd_rate_limit_tenant=25)
        demo = server.client()
        self.assertTrue(any(r.status == 429 for r in self.burst(demo, 80)))
        result = server.cli("tenant", "set", "demo", "rate_limit", "off", check=True)
        self.assertEqual(result.returncode, 0)
        self.assertTrue(all(r.status == 200 for r in self.burst(demo, 150)))
        shown = server.cli("tenant", "show", "demo", check=True).stdout
        self.assertIn("rate_limit", shown)
        bad = server.cli("tenant", "set", "demo", "rate_limit", "10")
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("from 25", bad.stderr)
        demo.close()

    def test_limits_below_the_guaranteed_floor_are_refused_at_start(self):
        result = Server(env={"SCIMD_RATE_LIMIT_TENANT": "10"})
        try:
            with self.assertRaises(AssertionError):
                result.start(timeout=10)
            self.assertTrue(any("rate_limit_tenant: must be 0 (no limit) or at least 25" in line
                                for line in result.output), result.output)
        finally:
            result.cleanup()


class ServerLimitTest(RateLimitCase):
    def test_one_tenants_flood_leaves_every_other_tenant_its_floor(self):
        server = self.start(scimd_rate_limit_tenant=0, scimd_rate_limit_server=30)
        server.cli("tenant", "create", "quiet", check=True)
        quiet = server.client(server.issue_token("quiet"), prefix="/scim/v2/quiet")
        stop = threading.Event()
        flood_statuses: list[int] = []

        def flood():
            client = server.client()
            while not stop.is_set():
                flood_statuses.append(client.get(q("/Users", count="1")).status)
            client.close()

        threads = [threading.Thread(target=flood) for _ in range(2)]
        for t in threads:
            t.start()
        try:
            time.sleep(1.0)  # the flood has emptied the server's bucket
            quiet_statuses = []
            for _ in range(20):  # 20 a second: within the floor of 25
                quiet_statuses.append(quiet.get(q("/Users", count="1")).status)
                time.sleep(0.05)
        finally:
            stop.set()
            for t in threads:
                t.join(10)
        self.assertIn(429, flood_statuses)
        self.assertEqual(quiet_statuses, [200] * 20)
        quiet.close()


class LockoutTest(RateLimitCase):
    def test_repeated_failures_lock_the_address_out_of_that_tenant_only(self):
        server = self.start(scimd_auth_max_failures=3, scimd_auth_lockout_seconds=60)
        server.cli("tenant", "create", "other", check=True)
        server.set_login("demo", "okta-basic", "Correct-Horse-9")
        good = Client(server.port, basic("okta-basic", "Correct-Horse-9"))
        self.assertEqual(good.get("/Users").status, 200)  # verified before the attack

        wrong = Client(server.port, basic("okta-basic", "guess"))
        self.assertEqual([wrong.get("/Users").status for _ in range(3)], [401, 401, 401])
        locked = wrong.get("/Users")
        self.assertEqual(locked.status, 429, locked.text)
        self.assertTrue(1 <= int(locked.header("Retry-After")) <= 60)
        self.assertIn("Too many failed attempts", locked.json["detail"])
        unknown_user = Client(server.port, basic("nobody", "guess"))
        self.assertEqual(unknown_user.get("/Users").status, 429)  # same answer, no hash computed

        # The IdP's verified login and the tenant's bearer token go on working.
        self.assertEqual(good.get("/Users").status, 200)
        token_client = server.client()
        self.assertEqual(token_client.get("/Users").status, 200)
        token_client.close()
        # Another tenant from the same address is not locked.
        elsewhere = Client(server.port, "Bearer scimd_not-a-real-token", prefix="/scim/v2/other")
        self.assertEqual(elsewhere.get("/Users").status, 401)
        for client in (good, wrong, unknown_user, elsewhere):
            client.close()

    def test_bad_tokens_are_locked_out_too(self):
        server = self.start(scimd_auth_max_failures=5, scimd_auth_lockout_seconds=30)
        guesser = Client(server.port, "Bearer scimd_guess")
        statuses = [guesser.get("/Users").status for _ in range(7)]
        self.assertEqual(statuses, [401] * 5 + [429] * 2)
        token_client = server.client()
        self.assertEqual(token_client.get("/Users").status, 200)  # a valid token still works
        token_client.close()
        guesser.close()


if __name__ == "__main__":
    unittest.main()
