"""The programs bench/run drives: the build, wrk's installation, scimd and the ceiling server.

A server runs with its stdout and stderr in a log file (scimd writes one access-log line per
request there, as it would to a journal), and is measured from /proc: resident memory and the
CPU time it has used.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def ensure_wrk() -> str:
    """Returns wrk's path, installing the Debian package first when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: apt-get install -y wrk", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    install = subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], stdout=subprocess.DEVNULL)
    if install.returncode != 0:
        subprocess.run([*sudo, "apt-get", "update"], stdout=subprocess.DEVNULL, check=True)
        subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], stdout=subprocess.DEVNULL, check=True)
    return shutil.which("wrk") or sys.exit("bench: wrk is still missing after apt-get install")


def build_release(repo: Path) -> None:
    """Configures and builds the release preset's scimd and scimd-ceiling; exits on failure."""
    for step in (["cmake", "--preset", "release"],
                 ["cmake", "--build", "--preset", "release", "--target", "scimd", "scimd-ceiling"]):
        result = subprocess.run(step, cwd=repo, capture_output=True, text=True)
        if result.returncode != 0:
            sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
            sys.exit(f"bench: `{' '.join(step)}` failed (exit {result.returncode})")


class Server:
    """A server process started with a log file, ready once its log shows `ready_pattern`."""

    def __init__(self, name: str, command: list[str], log_path: Path, ready_pattern: str,
                 env: dict[str, str] | None = None):
        self.name = name
        self.command = command
        self.env = dict(os.environ, **(env or {}))
        self.log_path = log_path
        self.ready_pattern = re.compile(ready_pattern)
        self.proc: subprocess.Popen | None = None
        self.port = 0

    def start(self, timeout: float = 30) -> str:
        """Starts the process and waits for the ready line; returns what it logged until then."""
        with open(self.log_path, "ab") as log:
            start_offset = log.tell()  # a restart appends to the log of the previous start
            self.proc = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            head = self._log_from(start_offset)
            match = self.ready_pattern.search(head)
            if match:
                self.port = int(match.group("port"))
                return head
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.kill()
        sys.exit(f"bench: {self.name} did not start:\n{self._log_from(start_offset)}")

    def _log_from(self, offset: int) -> str:
        with open(self.log_path, "rb") as log:
            log.seek(offset)
            return log.read(64 * 1024).decode(errors="replace")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss_mb(self) -> float:
        """Resident set size (VmRSS) in MB (10^6 bytes), the unit of the targets."""
        return self.memory_mb()["VmRSS"]

    def memory_mb(self) -> dict[str, float]:
        """VmRSS and its parts RssAnon (heap, stacks) and RssFile (mapped files: the binary and
        libraries, and whatever SQLite maps of its files), in MB; /proc gives KiB."""
        fields = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon", "RssFile"):
                fields[name] = int(value.split()[0]) * 1024 / 1e6
        return fields

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far, all threads."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "; comm may hold spaces
        utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
        return (utime + stime) / CLOCK_TICKS

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM, then wait (graceful shutdown)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def kill(self) -> None:
        """SIGKILL: no shutdown at all, as in a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


def ceiling_server(binary: Path, threads: int, log_path: Path) -> Server:
    return Server("scimd-ceiling", [str(binary), "--listen", "127.0.0.1:0", "--threads", str(threads)], log_path,
                  r"scimd-ceiling listening on http://127\.0\.0\.1:(?P<port>\d+)")


def scimd_server(binary: Path, data_dir: Path, log_path: Path) -> Server:
    # The suite measures what the server can do, so the per-tenant rate limit (1,000/s by default)
    # is off; everything else is as configured by default.
    return Server("scimd", [str(binary), "serve", "--listen", "127.0.0.1:0", "--data", str(data_dir)], log_path,
                  r"scimd listening on http://127\.0\.0\.1:(?P<port>\d+)", env={"SCIMD_RATE_LIMIT_TENANT": "0"})


def demo_token(startup_log: str) -> str:
    """The demo tenant's token, printed by scimd's first start on a new data directory."""
    match = re.search(r"Bearer token:\s+(\S+)", startup_log)
    if not match:
        sys.exit("bench: scimd printed no demo token (is the data directory new?)")
    return match.group(1)
