"""The scenarios of issue 8, each measured with wrk against a running scimd, each a Row (or a few).

Order matters and is kept by bench/run: the ceiling first, then reads against exactly the
preloaded directory (S2, S3, S6), then writes (S4, S1, S5, S8, S7), which grow it.
"""
from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from loadgen import Load, Wrk, WrkResult
from processes import Server
from report import Check, Row, Target
from scim import Client

# The targets of issue 8 (release build, SQLite, a 2-core machine, wrk on the same machine).
S1_CREATE = Target("≥ 8,000/s", at_least=8000)
S2_READ = Target("≥ 60% of ceiling", at_least=0.60)
S3_FILTER = Target("≥ 50% of ceiling", at_least=0.50)
S4_DEACTIVATE = Target("≥ 5,000/s", at_least=5000)
S5_ADD = Target("≥ 5,000/s", at_least=5000)
S6_PAGES = Target("≥ 5,000 pages/s", at_least=5000)
S7_SYNC = Target("100k users in ≤ 30 s (3,333/s)", at_least=100_000 / 30)
S8_BULK = Target("≤ 20 ms (p99)", at_most=20)
MEMORY_10K = Target("≤ 30 MB at 10k", at_most=30)
MEMORY_1M = Target("≤ 150 MB at 1M", at_most=150)

PAGE = 100             # S6's page size
BULK_MEMBERS = 256     # S8's members per PATCH
EDGE = 1000            # S5 reports the rate of the first and of the last EDGE adds
SYNC_LOAD = Load(threads=10, connections=10)  # S7: 10 clients, each one connection (one wrk thread)
BULK_LOAD = Load(threads=2, connections=2)    # S8: each connection alternates add/remove on its group


@dataclass
class Settings:
    users: int            # the preloaded directory
    seconds: int          # each time-bounded run
    max_seconds: int      # the time limit of each count-bounded run
    load: Load            # wrk threads and connections
    sync_users: int       # S7's new users
    group_size: int       # S5's group grows to this many members
    storage: str          # scimd's storage backend
    s9_events: int = 10_000  # S9: events queued while paused, then delivered


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def mb(value: float) -> str:
    return f"{value:.1f} MB"


def memory_note(memory: dict[str, float]) -> str:
    return f"RssAnon {mb(memory['RssAnon'])} + RssFile {mb(memory['RssFile'])}"


def settle() -> None:
    """A pause between runs, so that one run's tail (connections closing, a WAL checkpoint)
    does not land in the next."""
    time.sleep(1)


class Suite:
    """The scenarios and their rows. Measure the ceiling first, then hand it scimd (use_scimd)."""

    def __init__(self, settings: Settings, wrk_binary: str, workdir: Path):
        self.settings = settings
        self.wrk_binary = wrk_binary
        self.workdir = workdir
        self.ids_file = workdir / "ids.txt"
        self.ceiling_rate = 0.0
        self.acknowledged_creates = 0  # 201s received; all of them must survive a kill -9
        self.rows: list[Row] = []

    def use_scimd(self, scimd: Server, token: str) -> None:
        """Called right after scimd started on an empty data directory."""
        self.scimd = scimd
        self.token = token
        self.idle_memory = scimd.memory_mb()
        self.client = Client(scimd.port, token)
        self.wrk = Wrk(self.wrk_binary, f"http://127.0.0.1:{scimd.port}", token)

    # ---- measuring ---------------------------------------------------------------------------

    def _measure(self, wrk: Wrk, server: Server, label: str, script: str, load: Load | None = None,
                 count_bounded: bool = False, seconds: int | None = None,
                 **args) -> tuple[WrkResult, float | None]:
        """Runs wrk once; returns its result and the server's CPU seconds per 1,000 answers.
        `seconds`: the run's length, or for a count-bounded run its time limit."""
        if seconds is None:
            seconds = self.settings.max_seconds if count_bounded else self.settings.seconds
        progress(f"  {label} ({'up to ' if count_bounded else ''}{seconds} s)")
        cpu_before = server.cpu_seconds()
        result = wrk.run(script, load or self.settings.load, seconds, count_bounded, **args)
        cpu = server.cpu_seconds() - cpu_before
        settle()
        return result, (1000 * cpu / result.answered if result.answered else None)

    def measure(self, label: str, script: str, **options) -> tuple[WrkResult, float | None]:
        """_measure against scimd."""
        return self._measure(self.wrk, self.scimd, label, script, **options)

    def row(self, scenario: str, result: WrkResult, cpu_per_1k: float | None, checks: list[Check],
            unit: str = "req/s", rate: float | None = None, note: str = "") -> Row:
        rate = result.rate if rate is None else rate
        notes = [note] if note else []
        if result.errors:
            notes.append(f"{result.errors} errors, first: {result.sample or 'a socket error (see wrk output)'}")
        if not result.complete:
            notes.append(f"stopped by the {self.settings.max_seconds} s limit before its count was done")
        row = Row(scenario, requests=result.answered, errors=result.errors, rate=rate, unit=unit,
                  p50_ms=result.p50_ms, p99_ms=result.p99_ms, cpu_per_1k=cpu_per_1k, checks=checks,
                  ratio=self.share_of_ceiling(rate) if unit == "req/s" else None, note="; ".join(notes))
        self.rows.append(row)
        return row

    def share_of_ceiling(self, rate: float) -> float | None:
        return rate / self.ceiling_rate if self.ceiling_rate else None

    def info(self, scenario: str, **fields) -> Row:
        row = Row(scenario, **fields)
        self.rows.append(row)
        return row

    # ---- the reference -------------------------------------------------------------------------

    def ceiling(self, ceiling: Server) -> None:
        wrk = Wrk(self.wrk_binary, f"http://127.0.0.1:{ceiling.port}", None)
        result, cpu = self._measure(wrk, ceiling, "ceiling: GET / from scimd-ceiling", "ceiling.lua")
        self.ceiling_rate = result.rate
        row = self.row("ceiling (scimd-ceiling, GET)", result, cpu, [])
        row.note = "; ".join(filter(None, [f"RSS {mb(ceiling.rss_mb())}", row.note]))

    # ---- setup -----------------------------------------------------------------------------------

    def preload(self) -> None:
        """Creates the directory's users through the API and keeps their ids in ids.txt."""
        users = self.settings.users
        result, cpu = self.measure(f"preload: {users:,} users", "preload.lua", count_bounded=True,
                                   seconds=max(self.settings.max_seconds, users // 200),  # it must finish
                                   first=0, count=users, ids_prefix=self.workdir / "ids")
        ids = [line for part in sorted(self.workdir.glob("ids.[0-9]*"))
               for line in part.read_text().splitlines() if line]
        self.ids_file.write_text("\n".join(ids) + "\n")
        counted = self.client.count_users()
        if result.errors or not result.complete or len(ids) != users or counted != users:
            sys.exit(f"bench: the preload failed: {len(ids)} ids, the server counts {counted}, "
                     f"{result.errors} errors (first: {result.sample})")
        self.acknowledged_creates += result.counted
        self.row("preload: create without password", result, cpu, [],
                 note=f"{users:,} users, Okta's body minus the password")

    # ---- reads -------------------------------------------------------------------------------

    def s2_get_by_id(self) -> None:
        result, cpu = self.measure("S2 GET /Users/{id}", "get_by_id.lua", ids=self.ids_file)
        self.row("S2 GET /Users/{id}", result, cpu, [Check(S2_READ, self.share_of_ceiling(result.rate) or 0)])

    def s3_filter(self) -> None:
        result, cpu = self.measure("S3 filter userName eq", "filter.lua", users=self.settings.users)
        self.row(f"S3 filter userName eq ({self.settings.users:,} users)", result, cpu,
                 [Check(S3_FILTER, self.share_of_ceiling(result.rate) or 0)],
                 note="also: within 1.2x of the 10k run's req/s (compare with a default run)"
                 if self.settings.users > 10_000 else "")

    def s6_index_pages(self) -> None:
        result, cpu = self.measure("S6 list page by startIndex", "list_page.lua", users=self.settings.users)
        deepest = self.settings.users - PAGE + 1
        self.row(f"S6 page of {PAGE}, startIndex {int(self.settings.users * 0.9):,}..{deepest:,}", result, cpu,
                 [Check(S6_PAGES, result.rate)], unit="pages/s",
                 note="the target is for cursor paging; index paging may be slower if documented")

    def s6_cursor_pages(self) -> None:
        scenario = f"S6 page of {PAGE} by cursor, last tenth"
        status, first_page = self.client.request("GET", f"/Users?cursor&count={PAGE}&attributes=id")
        if status != 200 or not first_page or "nextCursor" not in first_page:
            self.info(scenario, target_text=S6_PAGES.text, verdict_text="not implemented",
                      note=f"GET /Users?cursor&count={PAGE} answered {status} without nextCursor")
            return
        cursors = self._deep_cursors()
        if not cursors:
            sys.exit("bench: S6: walking the directory by cursor found no cursor into its last tenth")
        cursor_file = self.workdir / "cursors.txt"
        cursor_file.write_text("\n".join(urllib.parse.quote(c, safe="") for c in cursors) + "\n")
        result, cpu = self.measure("S6 list page by cursor", "list_cursor.lua", cursors=cursor_file)
        self.row(scenario, result, cpu, [Check(S6_PAGES, result.rate)], unit="pages/s",
                 note=f"{len(cursors)} distinct cursors into the last tenth of the directory")

    def _deep_cursors(self) -> list[str]:
        """Walks the directory by cursor (big pages of ids only until the last tenth, then pages of
        PAGE); returns the cursors of the full pages in its last tenth."""
        deep = int(self.settings.users * 0.9)
        seen, cursor, cursors = 0, "", []
        while True:
            page_size = min(1000, deep - seen) if seen < deep else PAGE
            page = self.client.list_by_cursor(cursor, page_size)
            seen += len(page.get("Resources", []))
            cursor = page.get("nextCursor")
            if not cursor:
                return cursors
            if seen >= deep and self.settings.users - seen >= PAGE:
                cursors.append(cursor)

    def memory_idle(self) -> None:
        self.info("memory: RSS idle, empty directory", verdict_text=mb(self.idle_memory["VmRSS"]),
                  note=memory_note(self.idle_memory))

    def memory_with_users(self) -> None:
        users = self.settings.users
        memory = self.scimd.memory_mb()
        if users <= 10_000:
            target = MEMORY_10K
        elif users >= 1_000_000:
            target = MEMORY_1M
        else:
            target = Target("≤ 150 MB (the 1M bound; 30 MB at 10k)", at_most=150)
        met, how = target.judge(memory["VmRSS"])
        self.info(f"memory: RSS with {users:,} users, after reads", target_text=target.text,
                  verdict_text=f"{mb(memory['VmRSS'])}: " + ("met" if met else f"MISSED ({how})"),
                  note=memory_note(memory))

    def memory_at_end(self) -> None:
        memory = self.scimd.memory_mb()
        self.info("memory: RSS after the writes", verdict_text=mb(memory["VmRSS"]), note=memory_note(memory))

    # ---- writes ------------------------------------------------------------------------------

    def s4_deactivate(self) -> None:
        result, cpu = self.measure("S4 Okta deactivate PATCH", "deactivate.lua", ids=self.ids_file)
        self.row("S4 deactivate PATCH (active false/true)", result, cpu, [Check(S4_DEACTIVATE, result.rate)])

    def s1_create(self) -> None:
        result, cpu = self.measure("S1 durable create", "create.lua", run="s1")
        self.acknowledged_creates += result.counted
        self.row("S1 durable create POST /Users", result, cpu, [Check(S1_CREATE, result.rate)],
                 note="Okta's body with its placeholder password (dropped: scimd's default `passwords = \"ignore\"`; "
                      "SCIMD_PASSWORDS=store measures the Argon2id hash)")

    def s5_group_growth(self) -> None:
        size = self.settings.group_size
        group = self.client.create_group("S5 growing group")
        first_end = min(EDGE, size // 2)
        last_start = max(first_end, size - EDGE)
        parts = [("first", 0, first_end), ("middle", first_end, last_start), ("last", last_start, size)]
        results = {}
        for name, start, end in parts:
            if end > start:
                results[name] = self.measure(f"S5 member adds {start:,}..{end:,}", "group_add.lua",
                                             count_bounded=True, group=group, ids=self.ids_file,
                                             **{"from": start, "to": end})
        first, first_cpu = results["first"]
        self.row(f"S5 member add, first {first_end:,}", first, first_cpu, [Check(S5_ADD, first.rate)])
        if "middle" in results:
            middle, middle_cpu = results["middle"]
            self.row(f"S5 member add, {first_end:,}..{last_start:,}", middle, middle_cpu, [])
        last, last_cpu = results["last"]
        members = sum(r.answered - r.errors for r, _ in results.values())
        within = Target("within 1.2x of first", at_least=first.rate / 1.2)
        self.row(f"S5 member add, last {size - last_start:,} (to {members:,})", last, last_cpu,
                 [Check(S5_ADD, last.rate), Check(within, last.rate)],
                 note="issue 8 wants the last 1k at 100k members: run with --users 100000"
                 if size < 100_000 else "")

    def s8_bulk_patch(self) -> None:
        scenario = f"S8 {BULK_MEMBERS}-member group PATCH"
        load = BULK_LOAD
        if self.settings.users < load.threads * BULK_MEMBERS:
            self.info(scenario, target_text=S8_BULK.text, verdict_text="skipped",
                      note=f"needs {load.threads * BULK_MEMBERS} preloaded users")
            return
        groups = ",".join(self.client.create_group(f"S8 group {i}") for i in range(load.threads))
        result, cpu = self.measure(scenario, "group_bulk.lua", load=load, groups=groups, ids=self.ids_file)
        self.row(scenario, result, cpu, [Check(S8_BULK, result.p99_ms)],
                 note=f"{load.connections} connections, each alternating add and remove of {BULK_MEMBERS} "
                      "members of its own group")

    def s7_initial_sync(self) -> None:
        users = self.settings.sync_users
        result, cpu = self.measure(f"S7 initial sync of {users:,} users", "sync.lua", load=SYNC_LOAD,
                                   count_bounded=True, count=users, prefix="sync")
        synced = result.counted  # users created (each after its lookup)
        self.acknowledged_creates += synced
        rate = synced / result.seconds if result.seconds else 0.0
        if result.complete:
            note = f"{users:,} users in {result.seconds:.1f} s"
        else:
            note = f"{synced:,} of {users:,} users in {result.seconds:.0f} s"
        note += f"; at this rate 100k take {100_000 / rate:,.0f} s" if rate else ""
        self.row(f"S7 initial sync, {SYNC_LOAD.connections} clients (lookup + create)", result, cpu,
                 [Check(S7_SYNC, rate)], unit="users/s", rate=rate, note=note)

    # ---- after the writes ----------------------------------------------------------------------

    def durability(self, restart: Callable[[], object]) -> None:
        """Kills scimd with SIGKILL (a crash: no shutdown, no final checkpoint) and restarts it on
        the same data: every user it had answered 201 for must be there. A power loss is not
        simulated; that part rests on synchronous=FULL."""
        before = self.client.count_users()
        self.client.close()
        self.scimd.kill()
        restart()
        self.client = Client(self.scimd.port, self.token)
        after = self.client.count_users()
        met = after == before and before >= self.acknowledged_creates
        self.info("durability: users after kill -9 and restart", requests=after,
                  target_text="every 201 on disk",
                  verdict_text="met" if met else "MISSED",
                  note=f"{before:,} users before kill -9, {after:,} after; "
                       f"{self.acknowledged_creates:,} creates were answered 201")

    # ---- events --------------------------------------------------------------------------------

    def s9_event_delivery(self, scimd_binary: Path, data_dir: Path, receiver: Server) -> None:
        """Webhook delivery throughput: with the tenant's notifications paused, creates N users (N
        user.created events), adds a webhook to `receiver` (scimd-ceiling, which answers 200 at
        once), then resumes notifications and times until every event is delivered."""
        events = self.settings.s9_events

        def cli(*args: str) -> str:
            done = subprocess.run([str(scimd_binary), *args, "--data", str(data_dir)], capture_output=True, text=True)
            if done.returncode != 0:
                sys.exit(f"bench: S9: scimd {' '.join(args)} failed: {done.stderr}")
            return done.stdout

        key = cli("apikey", "issue", "--tenant", "demo", "--label", "bench").strip().splitlines()[-1]
        cli("tenant", "set", "demo", "notifications", "paused")
        url = f"http://127.0.0.1:{receiver.port}/hook"
        cli("webhook", "add", "demo", url)
        webhook = next(line.split()[0] for line in cli("webhook", "list", "demo").splitlines()[1:]
                       if line.endswith(url))
        created, _ = self.measure(f"S9: {events:,} users created while notifications are paused", "preload.lua",
                                  count_bounded=True, seconds=max(self.settings.max_seconds, events // 200),
                                  first=50_000_000, count=events, ids_prefix=self.workdir / "s9-ids")
        self.acknowledged_creates += created.counted

        progress(f"  S9 webhook delivery of {created.counted:,} events (up to {self.settings.max_seconds} s)")
        stats_path = f"/api/v1/tenants/demo/webhooks/{webhook}"
        conn = http.client.HTTPConnection("127.0.0.1", self.scimd.port, timeout=30)

        def stats() -> dict:
            conn.request("GET", stats_path, headers={"Authorization": f"Bearer {key}"})
            response = conn.getresponse()
            body = json.loads(response.read())
            if response.status != 200:
                sys.exit(f"bench: S9: GET {stats_path} answered {response.status}: {body}")
            return body

        cpu_before = self.scimd.cpu_seconds()
        started = time.monotonic()
        cli("tenant", "set", "demo", "notifications", "active")
        deadline = started + self.settings.max_seconds
        while True:
            current = stats()
            counts = current["deliveries"]
            done = counts["pending"] == 0 and current["events_behind"] == 0 and counts["delivered"] + counts["dead"] > 0
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        cpu = self.scimd.cpu_seconds() - cpu_before
        conn.close()
        cli("webhook", "remove", "demo", webhook)
        settle()

        delivered = counts["delivered"]
        missing = created.counted - delivered
        rate = delivered / elapsed if elapsed > 0 else 0.0
        notes = [f"{delivered:,} of {created.counted:,} events delivered in {elapsed:.1f} s (from resuming "
                 f"notifications, so the dispatcher's 250 ms poll is included); receiver: scimd-ceiling, "
                 f"answering 200 at once; default webhook_senders (4)"]
        if not done:
            notes.append(f"stopped by the {self.settings.max_seconds} s limit")
        if counts["dead"]:
            notes.append(f"{counts['dead']} dead letters")
        self.rows.append(Row("S9 webhook delivery (user.created events)", requests=delivered,
                             errors=max(0, missing) + counts["dead"], rate=rate, unit="events/s",
                             ratio=self.share_of_ceiling(rate), cpu_per_1k=1000 * cpu / delivered if delivered else None,
                             target_text="- (issue 8 sets none)", verdict_text="measured", note="; ".join(notes)))

    def not_implemented(self, scenario: str, target: str, why: str) -> None:
        self.info(scenario, target_text=target, verdict_text="not implemented", note=why)
