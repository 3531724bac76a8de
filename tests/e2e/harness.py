"""Starts the real scimd binary on 127.0.0.1 with a temporary data directory and talks to it.

Used by every tests/e2e/test_*.py. The binary comes from $SCIMD_BINARY (ctest sets it).
Only the Python standard library is used, so the suite runs on a fresh Debian machine.

With SCIMD_E2E_POSTGRES set to a PostgreSQL server's URL, every data directory the suite makes gets
a fresh database of its own on that server (made and dropped with psql) and scimd runs with
storage = that database: the same tests, on the other engine. Tests about SQLite's file (backup,
restore, reading the file) skip themselves then (ON_POSTGRES). ctest runs the suite both ways:
e2e.NAME on SQLite, e2e_pg.NAME with SCIMD_E2E_POSTGRES=on, which means the server
SCIMD_TEST_POSTGRES names (skipped without one, except in CI).
"""
from __future__ import annotations

import base64
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
from dataclasses import dataclass, field

BINARY = os.environ.get("SCIMD_BINARY", os.path.join(os.path.dirname(__file__), "../../build/asan/scimd"))
POSTGRES_SERVER = os.environ.get("SCIMD_E2E_POSTGRES", "")
if POSTGRES_SERVER == "on":
    POSTGRES_SERVER = os.environ.get("SCIMD_TEST_POSTGRES", "")
    if not POSTGRES_SERVER:  # ctest skips e2e_pg without it, except in CI
        raise RuntimeError("SCIMD_E2E_POSTGRES=on needs SCIMD_TEST_POSTGRES (tools/pg-test-cluster start prints it)")
ON_POSTGRES = bool(POSTGRES_SERVER)
_postgres_databases: dict[str, str] = {}  # data directory -> its database's URL


def _psql(url: str, sql: str) -> None:
    result = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], capture_output=True,
                            text=True, timeout=60, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise AssertionError(f"psql {sql!r}: {result.stderr}")


def cli_env(data_dir: str) -> dict:
    """The environment for running the binary directly on `data_dir` (its database, on PostgreSQL)."""
    return {**os.environ, **storage_env(data_dir)}


def storage_env(data_dir: str) -> dict:
    """SCIMD_STORAGE for `data_dir` when the suite runs on PostgreSQL (a database per data directory,
    made on first use), else nothing."""
    if not POSTGRES_SERVER or "SCIMD_STORAGE" in os.environ:
        return {}
    key = os.path.realpath(data_dir)
    if key not in _postgres_databases:
        name = "scimd_e2e_" + os.urandom(6).hex()
        _psql(POSTGRES_SERVER, f"CREATE DATABASE {name}")
        scheme, rest = POSTGRES_SERVER.split("://", 1)
        authority = rest.split("/", 1)[0].split("?", 1)[0]
        _postgres_databases[key] = f"{scheme}://{authority}/{name}"
    return {"SCIMD_STORAGE": _postgres_databases[key]}


def drop_storage(data_dir: str) -> None:
    url = _postgres_databases.pop(os.path.realpath(data_dir), None)
    if url:
        _psql(POSTGRES_SERVER, f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def run_cli(*args: str, data_dir: str, check: bool = False, env: dict | None = None,
            input: str | None = None) -> subprocess.CompletedProcess:
    """Runs `scimd ARGS --data DATA_DIR` (with `input` on standard input, else none) and returns the
    completed process (text mode)."""
    cmd = [BINARY, *args, "--data", data_dir]
    full_env = {**os.environ, **storage_env(data_dir), **(env or {})}
    stdin = subprocess.DEVNULL if input is None else None
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=full_env, stdin=stdin, input=input)
    if check and result.returncode != 0:
        raise AssertionError(f"{cmd} exited {result.returncode}: {result.stderr}")
    return result


@dataclass
class Response:
    status: int
    headers: dict
    text: str
    json: object = None

    def header(self, name: str) -> str | None:
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return None


class Client:
    """A keep-alive HTTP client for one server; `authorization` is the whole header value."""

    def __init__(self, port: int, authorization: str | None, prefix: str = "/scim/v2/demo"):
        self.port = port
        self.authorization = authorization
        self.prefix = prefix
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        return self._conn

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, body=None, headers: dict | None = None, raw: bytes | None = None,
                absolute: bool = False) -> Response:
        url = path if absolute else self.prefix + path
        # Write filters readably in tests; send them percent-encoded as IdPs do (already-encoded
        # parts stay as they are).
        url = urllib.parse.quote(url, safe="/?&=:%@,+[]!$'()*;~")
        hdrs = {"Accept": "application/scim+json"}
        if self.authorization is not None:
            hdrs["Authorization"] = self.authorization
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            hdrs["Content-Type"] = "application/scim+json"
        hdrs.update(headers or {})
        for attempt in range(2):
            conn = self._connection()
            try:
                conn.request(method, url, body=data, headers=hdrs)
                resp = conn.getresponse()
                text = resp.read().decode()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server may close an idle keep-alive connection; retry once on a new one.
                self.close()
                if attempt == 1:
                    raise
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        parsed = None
        if text:
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
        return Response(resp.status, dict(resp.getheaders()), text, parsed)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


class Server:
    """One scimd process. `start()` waits until it listens and records the demo token if printed."""

    def __init__(self, data_dir: str | None = None, extra_args: tuple = (), env: dict | None = None):
        self._own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="scimd-e2e-")
        self.extra_args = extra_args
        self.env = env or {}
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.demo_token: str | None = None
        self.output: list[str] = []
        self._listening = threading.Event()

    def start(self, timeout: float = 30) -> "Server":
        self.output = []
        self._listening.clear()
        self.demo_token = None
        cmd = [BINARY, "serve", "--listen", "127.0.0.1:0", "--data", self.data_dir, *self.extra_args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     stdin=subprocess.DEVNULL,
                                     env={**os.environ, **storage_env(self.data_dir), **self.env})
        threading.Thread(target=self._pump, daemon=True).start()
        if not self._listening.wait(timeout):
            self.proc.kill()
            raise AssertionError("scimd did not start:\n" + "\n".join(self.output))
        return self

    def _pump(self):
        assert self.proc and self.proc.stdout
        try:
            self._read_lines(self.proc.stdout)
        except (ValueError, OSError):
            pass  # the pipe was closed by stop()

    def wait_for_output(self, pattern: str, after: int = 0, timeout: float = 10.0) -> str:
        """The first line of output from index `after` on that matches `pattern` (a regex)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.output[after:]:
                if re.search(pattern, line):
                    return line
            time.sleep(0.02)
        raise AssertionError(f"no output line matching {pattern!r}:\n" + "\n".join(self.output[after:]))

    def _read_lines(self, stream):
        for line in stream:
            line = line.rstrip("\n")
            self.output.append(line)
            m = re.search(r"Bearer token:\s+(\S+)", line)
            if m:
                self.demo_token = m.group(1)
            m = re.search(r"scimd listening on https?://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                self._listening.set()

    def client(self, token: str | None = None, prefix: str = "/scim/v2/demo", scheme: str = "Bearer ") -> Client:
        token = token if token is not None else self.demo_token
        return Client(self.port, None if token is None else scheme + token, prefix)

    def cli(self, *args: str, check: bool = False, input: str | None = None) -> subprocess.CompletedProcess:
        return run_cli(*args, data_dir=self.data_dir, check=check, env=self.env, input=input)

    def issue_token(self, tenant: str) -> str:
        result = self.cli("token", "issue", tenant, check=True)
        return result.stdout.strip().splitlines()[-1]

    def set_login(self, tenant: str, username: str, password: str) -> None:
        """`scimd login set TENANT USERNAME` with the password on standard input."""
        self.cli("login", "set", tenant, username, input=password + "\n", check=True)

    def create_oauth_client(self, *args: str) -> tuple[str, str]:
        """`scimd oauth client create ARGS`: (client_id, client_secret) from its last two lines."""
        last_two = self.cli("oauth", "client", "create", *args, check=True).stdout.strip().splitlines()[-2:]
        assert last_two[0].startswith("client_id=") and last_two[1].startswith("client_secret="), last_two
        return last_two[0].split("=", 1)[1], last_two[1].split("=", 1)[1]

    def stop(self, sig=signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None
        return code

    def cleanup(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(10)
            if self.proc.stdout:
                self.proc.stdout.close()
        if self._own_dir:
            drop_storage(self.data_dir)
            shutil.rmtree(self.data_dir, ignore_errors=True)


class ServerTestCase(unittest.TestCase):
    """A fresh server (and data directory) per test class; `self.scim` is a client for tenant demo."""

    server: Server

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        assert cls.server.demo_token, "first start must print the demo token"

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        cls.server.cleanup()
        assert code == 0, f"scimd exited {code}"

    def setUp(self):
        self.scim = self.server.client()

    def tearDown(self):
        self.scim.close()

    # Assertions shared by the suites.
    def assertScimError(self, response: Response, status: int, scim_type: str | None = None):
        self.assertEqual(response.status, status, response.text)
        self.assertIsInstance(response.json, dict, response.text)
        self.assertIn(SCIM_ERROR, response.json.get("schemas", []))
        self.assertEqual(response.json.get("status"), str(status))
        self.assertTrue(response.json.get("detail"), "a SCIM error needs a detail a person can act on")
        if scim_type is not None:
            self.assertEqual(response.json.get("scimType"), scim_type, response.text)
        self.assertIn("application/scim+json", response.header("Content-Type") or "")

    def assertListResponse(self, response: Response, total: int | None = None):
        self.assertEqual(response.status, 200, response.text)
        body = response.json
        self.assertEqual(body["schemas"], [LIST_RESPONSE])
        for key in ("totalResults", "startIndex", "itemsPerPage"):
            self.assertIsInstance(body[key], int, key)
            self.assertNotIsInstance(body[key], bool, key)
        self.assertIsInstance(body["Resources"], list)
        self.assertEqual(body["itemsPerPage"], len(body["Resources"]))
        if total is not None:
            self.assertEqual(body["totalResults"], total, response.text)
        return body


def q(path: str, **params) -> str:
    """`path` with a query string encoded as Okta and OneLogin encode it (space %20, quote %22, @ %40)."""
    return path + "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def new_user(user_name: str, **extra) -> dict:
    body = {"schemas": [USER_SCHEMA], "userName": user_name, "active": True,
            "name": {"givenName": "Given", "familyName": "Family"},
            "emails": [{"primary": True, "value": user_name, "type": "work"}]}
    body.update(extra)
    return body


def patch_op(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def basic_authorization(username: str, password: str) -> str:
    """An HTTP Basic Authorization header value."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
