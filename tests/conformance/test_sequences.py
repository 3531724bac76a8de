"""Whole identity-provider sessions, replayed step by step from sequences/*.json against the real
scimd binary over HTTP (see README.md for the file format and ../../../shared/idp/TRAFFIC.md for
where every wire shape comes from). Each test starts its own server on a new data directory, so a
sequence sees an empty tenant and its counts (totalResults, members.#) are exact."""
import glob
import os
import unittest

from replay import SEQUENCES, Replay, load  # first: it puts tests/e2e (harness) on sys.path
from harness import Server


class Sequences(unittest.TestCase):
    def replay(self, name: str):
        server = Server().start()
        try:
            self.assertTrue(server.demo_token, "first start must print the demo token")
            replay = Replay(load(name), server.port, server.demo_token, label=f"{name}.json")
            replay.run()
            self.assertGreater(replay.steps_run, 0)
        finally:
            code = server.stop()
            server.cleanup()
        self.assertEqual(code, 0, f"scimd exited {code}")

    def test_okta(self):
        self.replay("okta")

    def test_entra(self):
        self.replay("entra")

    def test_onelogin(self):
        self.replay("onelogin")

    def test_jumpcloud(self):
        self.replay("jumpcloud")

    def test_ping(self):
        self.replay("ping")

    def test_every_sequence_file_has_a_test(self):
        files = {os.path.basename(p)[:-len(".json")] for p in glob.glob(os.path.join(SEQUENCES, "*.json"))}
        tests = {name[len("test_"):] for name in dir(self) if name.startswith("test_")}
        self.assertEqual(files - tests, set(), "add a test method for each sequence file")
        for name in files:
            sequence = load(name)
            self.assertTrue(sequence.get("steps"), name)
            for step in sequence["steps"]:
                self.assertLessEqual(set(step), {"name", "note", "method", "path", "headers", "body", "expect",
                                                 "capture", "repeat"}, f"{name}: {step.get('name')}")
                self.assertLessEqual(set(step.get("expect", {})), {"status", "json", "headers", "empty"},
                                     f"{name}: {step.get('name')}")
                self.assertIn("status", step.get("expect", {}), f"{name}: {step.get('name')} must expect a status")


if __name__ == "__main__":
    unittest.main()
