"""The results table: one Row per measured line, judged against the targets of issue 8."""
from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Target:
    """A bound on one figure: `at_least` (higher is better) or `at_most` (lower is better)."""
    text: str                  # as the issue states it
    at_least: float | None = None
    at_most: float | None = None

    def judge(self, value: float) -> tuple[bool, str]:
        """(met, by how much), e.g. (False, "12% of target") or (False, "2.5x the limit")."""
        if self.at_least is not None:
            share = value / self.at_least
            return value >= self.at_least, f"{share:.0%} of target"
        assert self.at_most is not None
        factor = value / self.at_most
        return value <= self.at_most, f"{factor:.2f}x the limit"


@dataclass
class Check:
    """A target and the figure it applies to."""
    target: Target
    value: float


@dataclass
class Row:
    scenario: str
    requests: int | None = None
    errors: int | None = None
    rate: float | None = None        # per second, in `unit`
    unit: str = "req/s"
    p50_ms: float | None = None
    p99_ms: float | None = None
    ratio: float | None = None       # rate / the ceiling's rate
    cpu_per_1k: float | None = None  # scimd CPU seconds per 1,000 requests
    checks: list[Check] = field(default_factory=list)
    target_text: str = ""            # when no check applies (or to override the checks' text)
    verdict_text: str = ""           # idem, e.g. "not implemented"
    note: str = ""                   # printed under the table

    def target(self) -> str:
        return self.target_text or "; ".join(check.target.text for check in self.checks) or "-"

    def verdict(self) -> str:
        if self.verdict_text:
            return self.verdict_text
        if not self.checks:
            return "-"
        judged = [check.target.judge(check.value) for check in self.checks]
        flagged = " ERRORS" if self.errors else ""
        if all(met for met, _ in judged):
            return "met" + flagged
        return "MISSED (" + ", ".join(how for met, how in judged if not met) + ")" + flagged


def _number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _latency(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if value < 100 else f"{value:,.0f}"


COLUMNS = ("scenario", "requests", "errors", "rate", "p50 ms", "p99 ms", "vs ceiling", "CPU s/1k", "target",
           "result")


def table(rows: list[Row]) -> str:
    cells = [COLUMNS]
    for row in rows:
        cells.append((row.scenario, _number(row.requests), _number(row.errors),
                      "-" if row.rate is None else f"{_number(row.rate)} {row.unit}",
                      _latency(row.p50_ms), _latency(row.p99_ms),
                      "-" if row.ratio is None else f"{row.ratio:.0%}",
                      _number(row.cpu_per_1k, 3), row.target(), row.verdict()))
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    right_aligned = {1, 2, 3, 4, 5, 6, 7}

    def render(line) -> str:
        parts = [text.rjust(widths[i]) if i in right_aligned else text.ljust(widths[i])
                 for i, text in enumerate(line)]
        return "| " + " | ".join(parts) + " |"

    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([render(cells[0]), separator, *(render(line) for line in cells[1:])])


def notes(rows: list[Row]) -> str:
    return "\n".join(f"- {row.scenario}: {row.note}" for row in rows if row.note)


# ---- the machine and the code ------------------------------------------------------------------

def commit(repo: Path) -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True).stdout.strip()
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+dirty" if git("status", "--porcelain") else "")


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return f"{len(os.sched_getaffinity(0))} cores ({model}), {mem_kib / 1024 / 1024:.1f} GiB RAM, Linux {platform.release()}"


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())
