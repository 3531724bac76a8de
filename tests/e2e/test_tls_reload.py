"""HTTPS, SIGHUP reloads and the connection limit, against the real binary.

Certificates are made at test time with the `openssl` command (tools/setup-deps installs it) and
trusted by the client explicitly, so nothing here depends on the system's CA store.
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from harness import SCIM_ERROR, Server, new_user, run_cli


def make_certificate(directory: str, name: str) -> tuple[str, str]:
    """A self-signed P-256 certificate for 127.0.0.1: (cert path, key path)."""
    cert = os.path.join(directory, name + ".pem")
    key = os.path.join(directory, name + ".key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=scimd e2e " + name,
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30)
    return cert, key


def https(port: int, trusted_cert: str) -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cafile=trusted_cert)
    return http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)


def request(connection: http.client.HTTPConnection, method: str, path: str, token: str,
            body: dict | None = None) -> tuple[int, dict, dict]:
    headers = {"Authorization": "Bearer " + token}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/scim+json"
    connection.request(method, path, body=data, headers=headers)
    response = connection.getresponse()
    text = response.read().decode()
    return response.status, dict(response.getheaders()), json.loads(text) if text else {}


def write_config(path: str, **settings) -> None:
    with open(path, "w") as f:
        for key, value in settings.items():
            f.write(f"{key} = {json.dumps(value)}\n")


class HttpsAndReloadTest(unittest.TestCase):
    """One HTTPS server whose configuration file and certificate the tests change and reload."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="scimd-tls-")
        cls.first = make_certificate(cls.dir, "first")
        cls.second = make_certificate(cls.dir, "second")
        # The server reads its certificate from these paths; tests copy a certificate over them.
        cls.cert_path = os.path.join(cls.dir, "server.pem")
        cls.key_path = os.path.join(cls.dir, "server.key")
        cls.install(cls.first)
        cls.config = os.path.join(cls.dir, "scimd.toml")
        cls.write_settings()
        cls.server = Server(extra_args=("--config", cls.config)).start()
        cls.token = cls.server.demo_token

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        cls.server.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)
        assert code == 0, f"scimd exited {code}"

    @classmethod
    def install(cls, certificate: tuple[str, str]) -> None:
        shutil.copyfile(certificate[0], cls.cert_path)
        shutil.copyfile(certificate[1], cls.key_path)

    @classmethod
    def write_settings(cls, **extra) -> None:
        write_config(cls.config, tls_cert_file=cls.cert_path, tls_key_file=cls.key_path, **extra)

    def reload(self, expect: str) -> str:
        """Sends SIGHUP and returns the server's report, a line matching `expect`."""
        mark = len(self.server.output)
        self.server.proc.send_signal(signal.SIGHUP)
        return self.server.wait_for_output(expect, after=mark)

    def assertUntrusted(self, cert: str) -> None:
        connection = https(self.server.port, cert)
        try:
            with self.assertRaises(ssl.SSLCertVerificationError):
                connection.request("GET", "/healthz")
        finally:
            connection.close()

    def test_1_serves_scim_over_https(self):
        self.assertTrue(any(f"https://127.0.0.1:{self.server.port}/scim/v2/demo" in line
                            for line in self.server.output), self.server.output)
        connection = https(self.server.port, self.first[0])
        status, _, created = request(connection, "POST", "/scim/v2/demo/Users", self.token, new_user("tls.user"))
        self.assertEqual(status, 201, created)
        status, _, read = request(connection, "GET", "/scim/v2/demo/Users/" + created["id"], self.token)
        self.assertEqual((status, read["userName"]), (200, "tls.user"))
        self.assertTrue(read["meta"]["location"].startswith("https://"), read["meta"])
        connection.close()

    def test_2_plain_http_and_untrusted_clients_get_nothing(self):
        plain = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        with self.assertRaises((ConnectionError, http.client.HTTPException, OSError)):
            plain.request("GET", "/scim/v2/demo/Users")
            plain.getresponse().read()
        plain.close()
        self.assertUntrusted(self.second[0])

    def test_3_sighup_rereads_the_certificate(self):
        self.install(self.second)
        report = self.reload(r"scimd reloaded the configuration")
        self.assertIn("TLS certificate re-read from " + self.cert_path, report)
        connection = https(self.server.port, self.second[0])
        status, _, _ = request(connection, "GET", "/scim/v2/demo/ServiceProviderConfig", self.token)
        self.assertEqual(status, 200)
        connection.close()
        self.assertUntrusted(self.first[0])

    def test_4_a_bad_certificate_or_file_on_reload_changes_nothing(self):
        self.install(self.second)
        self.reload(r"scimd reloaded")
        # A key that does not belong to the certificate.
        shutil.copyfile(self.first[1], self.key_path)
        report = self.reload(r"reload failed")
        self.assertIn(self.key_path, report)
        # A configuration file that is not TOML.
        self.install(self.second)
        with open(self.config, "a") as f:
            f.write("this is = = not toml\n")
        report = self.reload(r"reload failed")
        self.assertIn(self.config, report)
        # Still serving with the last good certificate.
        connection = https(self.server.port, self.second[0])
        status, _, _ = request(connection, "GET", "/scim/v2/demo/Users?count=1", self.token)
        self.assertEqual(status, 200)
        connection.close()
        self.write_settings()
        self.reload(r"scimd reloaded")

    def test_5_sighup_applies_limits_and_names_what_needs_a_restart(self):
        self.install(self.second)
        self.write_settings(max_connections=2, body_timeout_seconds=20, journal=False, io_threads=3)
        report = self.reload(r"scimd reloaded")
        self.assertIn("applied body_timeout_seconds, max_connections", report)
        self.assertIn("needs a restart: io_threads, journal", report)
        try:
            held = [https(self.server.port, self.second[0]) for _ in range(2)]
            for connection in held:  # both admitted and kept alive
                status, _, _ = request(connection, "GET", "/scim/v2/demo/Users?count=1", self.token)
                self.assertEqual(status, 200)
            third = https(self.server.port, self.second[0])
            status, headers, error = request(third, "GET", "/scim/v2/demo/Users?count=1", self.token)
            self.assertEqual(status, 503, error)
            self.assertEqual(headers.get("Retry-After"), "1")
            self.assertIn(SCIM_ERROR, error["schemas"])
            self.assertIn("too many open connections (the limit is 2)", error["detail"])
            third.close()
            for connection in held:
                connection.close()
        finally:
            self.write_settings()
            self.reload(r"applied body_timeout_seconds, max_connections")


class TlsStartupErrorsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="scimd-tls-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def serve(self, **settings) -> subprocess.CompletedProcess:
        config = os.path.join(self.dir, "scimd.toml")
        write_config(config, **settings)
        return run_cli("serve", "--listen", "127.0.0.1:0", "--config", config, data_dir=os.path.join(self.dir, "data"))

    def test_certificate_without_key_is_a_usage_error(self):
        cert, _ = make_certificate(self.dir, "alone")
        result = self.serve(tls_cert_file=cert)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("tls_cert_file and tls_key_file go together", result.stderr)

    def test_unreadable_or_mismatched_files_stop_the_start(self):
        cert, _ = make_certificate(self.dir, "one")
        _, other_key = make_certificate(self.dir, "two")
        result = self.serve(tls_cert_file=cert, tls_key_file=os.path.join(self.dir, "missing.key"))
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("missing.key: No such file or directory", result.stderr)
        result = self.serve(tls_cert_file=cert, tls_key_file=other_key)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn(other_key, result.stderr)


class ConnectionLimitTest(unittest.TestCase):
    """Plain HTTP: connections past max_connections get a SCIM 503 at once; slots free on close."""

    def test_limit_and_recovery(self):
        server = Server(env={"SCIMD_MAX_CONNECTIONS": "3"}).start()
        try:
            idle = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(3)]
            time.sleep(0.2)  # accepted and admitted
            scim = server.client()
            response = scim.get("/Users")
            self.assertEqual(response.status, 503, response.text)
            self.assertEqual(response.header("Retry-After"), "1")
            self.assertIn(SCIM_ERROR, response.json["schemas"])
            scim.close()
            for s in idle:
                s.close()
            deadline = time.monotonic() + 10
            while True:
                response = scim.get("/Users")
                scim.close()
                if response.status == 200 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            self.assertEqual(response.status, 200, response.text)
        finally:
            self.assertEqual(server.stop(), 0)
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
