"""Runs wrk with one of bench/lua's scripts and reads the script's "bench-result {json}" line.

Time-bounded runs last `-d` seconds. Count-bounded runs (scripts calling bench.limit) print
"bench-thread-done" per thread once their share is answered; wrk itself only knows durations, so
when every thread is done this sends wrk SIGINT, which wrk handles by ending the run early and
reporting as usual. `-d` is then the time limit.
"""
from __future__ import annotations

import json
import signal
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

LUA_DIR = Path(__file__).resolve().parent.parent / "lua"


@dataclass
class Load:
    """How hard to push: wrk threads and connections."""
    threads: int = 2
    connections: int = 16


@dataclass
class WrkResult:
    answered: int            # responses the script checked
    counted: int             # what the script counted with bench.count (e.g. users created)
    errors: int              # failed checks + socket errors (connect, read, write, timeout)
    seconds: float           # the run's wall time: the whole -d, or first request to last answer
    p50_ms: float
    p99_ms: float
    complete: bool           # count-bounded: every thread sent and got all of its share
    sample: str | None       # the first failed check
    output: str              # wrk's whole output

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds > 0 else 0.0


class Wrk:
    def __init__(self, binary: str, base_url: str, token: str | None):
        self.binary = binary
        self.base_url = base_url
        self.token = token

    def run(self, script: str, load: Load, seconds: int, count_bounded: bool = False, **args) -> WrkResult:
        command = [self.binary, "-t", str(load.threads), "-c", str(load.connections), "-d", f"{seconds}s",
                   "--timeout", "10s", "--latency", "-s", str(LUA_DIR / script)]
        if self.token:
            command += ["-H", f"Authorization: Bearer {self.token}"]
        script_args = {"threads": load.threads, "connections": load.connections, **args}
        command += [self.base_url, "--", *(f"{key}={value}" for key, value in script_args.items())]
        output = self._execute(command, load.threads if count_bounded else 0, seconds)
        return self._parse(output, count_bounded)

    def _execute(self, command: list[str], threads_to_finish: int, seconds: int) -> str:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines: list[str] = []
        # A watchdog: wrk ends by itself after `seconds`; this is for a wrk that hangs.
        watchdog = threading.Timer(seconds + 60, proc.kill)
        watchdog.start()
        try:
            finished = 0
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                if threads_to_finish and line.startswith("bench-thread-done"):
                    finished += 1
                    if finished == threads_to_finish:
                        proc.send_signal(signal.SIGINT)
            proc.wait()
        finally:
            watchdog.cancel()
        output = "".join(lines)
        if proc.returncode != 0:
            raise RuntimeError(f"wrk exited {proc.returncode}:\n{output}")
        return output

    @staticmethod
    def _parse(output: str, count_bounded: bool) -> WrkResult:
        for line in output.splitlines():
            if line.startswith("bench-result "):
                result = json.loads(line[len("bench-result "):])
                break
        else:
            raise RuntimeError(f"the script printed no bench-result:\n{output}")
        complete = bool(result["complete"]) if count_bounded else True
        seconds = result.get("elapsed_s") if count_bounded and complete else result["duration_s"]
        return WrkResult(answered=int(result["answered"]), counted=int(result["counted"]),
                         errors=int(result["check_errors"]) + int(result["socket_errors"]),
                         seconds=float(seconds or result["duration_s"]),
                         p50_ms=float(result["p50_ms"]), p99_ms=float(result["p99_ms"]),
                         complete=complete, sample=result.get("sample"), output=output)

