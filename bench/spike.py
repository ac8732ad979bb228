"""`make bench`, the spike: a campaign going viral on PostgreSQL with a million supporters.

For BENCH_SPIKE_SECONDS (60), joins arrive at a fixed BENCH_SPIKE_RATE (100 per second, sent on
schedule whatever the answers, so a slow server cannot slow the arrivals) while wrk reads the
campaign page and counts.json as fast as the machine allows. Printed: joins' p50/p99 (from the
moment each was due), 5xx, rows added against joins acknowledged, and the reads' throughput
during the spike as a ratio to /healthz measured alone in the same run (goal >= 0.8).

Then the same with two app servers and two workers against the one PostgreSQL, joins and
reads spread over both servers.

Reuses bench/run.py's database (`make bench` prepares it) and servers.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # bench/run.py, beside this file

RATE = run.env_int("BENCH_SPIKE_RATE", 100)
SECONDS = run.env_int("BENCH_SPIKE_SECONDS", 60)
JOIN_P99_GOAL_MS = 500.0
READ_GOAL = 0.8


@dataclass
class Joins:
    latencies_ms: list[float] = field(default_factory=list)
    acknowledged: int = 0
    server_errors: int = 0
    other: int = 0
    failed: int = 0
    late_ms: float = 0.0  # how far behind schedule the sender ever fell
    lock: threading.Lock = field(default_factory=threading.Lock)


def send_joins(ports: Sequence[int], cookie: str, token: str, joins: Joins) -> None:
    """RATE joins a second for SECONDS, each sent when due, by a pool of threads."""
    path = f"/c/{run.SLUG}/join"
    due = [time.monotonic() + 0.5 + i / RATE for i in range(RATE * SECONDS)]
    cursor = iter(range(len(due)))
    cursor_lock = threading.Lock()
    body_of = [
        f"csrfmiddlewaretoken={token}&country={code}&consent=on" for code in run.COUNTRIES[:12]
    ]
    headers = {
        "Cookie": f"csrftoken={cookie}",
        "Content-Type": "application/x-www-form-urlencoded",
    }

    def sender(number: int) -> None:
        connections: dict[int, http.client.HTTPConnection] = {}
        while True:
            with cursor_lock:
                index = next(cursor, None)
            if index is None:
                break
            wait = due[index] - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            else:
                with joins.lock:
                    joins.late_ms = max(joins.late_ms, -wait * 1000)
            port = ports[index % len(ports)]
            try:
                conn = connections.get(port)
                if conn is None:
                    conn = connections[port] = http.client.HTTPConnection(
                        "127.0.0.1", port, timeout=30
                    )
                conn.request("POST", path, body_of[index % len(body_of)], headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connections.pop(port, None)
                with joins.lock:
                    joins.failed += 1
                continue
            # Latency from when the join was due: a server that falls behind shows it.
            latency = (time.monotonic() - due[index]) * 1000
            with joins.lock:
                joins.latencies_ms.append(latency)
                if status == 303:
                    joins.acknowledged += 1
                elif status >= 500:
                    joins.server_errors += 1
                else:
                    joins.other += 1

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def wrk_reads(port: int, path: str, seconds: int, connections: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            "wrk",
            "--threads=1",
            f"--connections={connections}",
            f"--duration={seconds}s",
            "--timeout=30s",
            f"--script={run.BENCH_DIR / 'wrk_stats.lua'}",
            f"http://127.0.0.1:{port}{path}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wrk_result(process: subprocess.Popen[str]) -> tuple[float, int]:
    out, err = process.communicate(timeout=SECONDS + 120)
    line = next((x for x in out.splitlines() if x.startswith("BENCH_JSON ")), None)
    if process.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed:\n{out}\n{err}")

    data = json.loads(line.removeprefix("BENCH_JSON "))
    return data["requests"] / (data["duration_us"] / 1e6), data["status"]["5xx"]


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def cpu_during(servers: list[run.Servers], work: Any) -> str:
    """Run `work`; return where the cores went meanwhile (every server's processes summed)."""
    before = [run.sample_cpu(s) for s in servers]
    started = time.monotonic()
    work()
    wall = time.monotonic() - started
    after = [run.sample_cpu(s) for s in servers]
    uses = [run.CpuUse.between(b, a, wall) for b, a in zip(before, after, strict=True)]
    # The machine-wide groups (postgres, redis, wrk, this script, other) are the same in every
    # server's sample; only each server's own gunicorn and worker add up.
    cores = dict(uses[0].cores)
    for use in uses[1:]:
        for group in ("gunicorn", "worker"):
            cores[group] += use.cores[group]
        cores["other"] = max(0.0, cores["other"] - use.cores["gunicorn"] - use.cores["worker"])
    parts = ", ".join(f"{k} {v:.2f}" for k, v in cores.items())
    return f"{parts}; machine busy {uses[0].machine_busy_pct:.0f}%"


def wait_quiet(label: str, most: float = 60.0) -> None:
    """Until the machine is nearly idle (the worker's recounts done), at most `most` seconds:
    a baseline measured while the worker recounts a million rows would be too low."""
    started = time.monotonic()
    while (busy := run.background_load(1.0)) > run.DISTURBED_CORES:
        if time.monotonic() - started > most:
            run.say(f"{label}: WARNING: still {busy:.2f} cores busy after {most:.0f}s")
            return


def quiet_rows(count: Callable[[], int]) -> int:
    """The row count once requests still in flight have finished (max 10 s)."""
    last = count()
    for _ in range(20):
        time.sleep(0.5)
        now = count()
        if now == last:
            return now
        last = now
    return last


def measure(
    label: str, servers: list[run.Servers], count: Callable[[], int], lines: list[str]
) -> list[str]:
    """/healthz alone, then the spike; the report's lines and the goals' verdicts."""
    ports = [s.port for s in servers]
    reads_per_server = 8
    say = run.say

    def healthz_alone(when: str) -> float:
        wait_quiet(label)
        say(f"{label}: /healthz alone for 10s ({when} the spike)")
        healthz = [wrk_reads(p, "/healthz", 10, 2 * reads_per_server) for p in ports]
        return sum(wrk_result(p)[0] for p in healthz)

    # Warm every process first (imports, connections, the page cache): a cold server's
    # baseline would flatter the ratio.
    say(f"{label}: warming up for 3s on each endpoint")
    for path in ("/healthz", f"/c/{run.SLUG}/?lang=en&v=0", f"/c/{run.SLUG}/counts.json"):
        for process in [wrk_reads(p, path, 3, reads_per_server) for p in ports]:
            wrk_result(process)
    healthz_before = healthz_alone("before")
    cookie, token = run.csrf_pair(ports[0], f"/c/{run.SLUG}/join")
    before = quiet_rows(count)
    say(f"{label}: {RATE} joins/s for {SECONDS}s, reading the page and counts.json meanwhile")
    readers = []
    for port in ports:
        readers.append(wrk_reads(port, f"/c/{run.SLUG}/?lang=en&v=0", SECONDS, reads_per_server))
        readers.append(wrk_reads(port, f"/c/{run.SLUG}/counts.json", SECONDS, reads_per_server))
    joins = Joins()
    cpu = cpu_during(servers, lambda: send_joins(ports, cookie, token, joins))
    read_results = [wrk_result(r) for r in readers]
    after = quiet_rows(count)
    healthz_after = healthz_alone("after")
    # The higher of the two baselines, so a disturbed one cannot flatter the ratio.
    healthz_rps = max(healthz_before, healthz_after)
    reads_rps = sum(r[0] for r in read_results)
    read_5xx = sum(r[1] for r in read_results)
    p50, p99 = percentile(joins.latencies_ms, 0.5), percentile(joins.latencies_ms, 0.99)
    ratio = reads_rps / healthz_rps if healthz_rps else 0.0
    added = after - before
    lines += [
        f"{label}",
        f"  /healthz alone: {healthz_before:,.0f} req/s before the spike, "
        f"{healthz_after:,.0f} after (the ratio uses the higher)",
        f"  joins: {len(joins.latencies_ms):,} answered of {RATE * SECONDS:,} sent at {RATE}/s; "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (from when due; sender at most "
        f"{joins.late_ms:.0f} ms late); {joins.acknowledged:,} acknowledged, "
        f"{joins.server_errors} 5xx, {joins.other} other, {joins.failed} failed connections",
        f"  rows added: {added:,}",
        f"  reads during the spike: {reads_rps:,.0f} req/s (page + counts.json), {read_5xx} 5xx,"
        f" {ratio:.2f}x /healthz alone",
        f"  cores during the spike: {cpu}",
    ]
    goals = [
        (f"joins p99 < {JOIN_P99_GOAL_MS:.0f} ms", p99 < JOIN_P99_GOAL_MS, f"{p99:.1f} ms"),
        ("zero 5xx", joins.server_errors + read_5xx == 0, str(joins.server_errors + read_5xx)),
        ("rows == acknowledged joins", added == joins.acknowledged, f"{added:,} rows"),
        (f"reads >= {READ_GOAL}x /healthz", ratio >= READ_GOAL, f"{ratio:.2f}x"),
    ]
    for name, passed, figure in goals:
        lines.append(f"  {'PASS' if passed else 'FAIL'}  {name:<32} ({figure})")
    return lines


SQLITE_FILL = """
WITH RECURSIVE n(i) AS (SELECT :first UNION ALL SELECT i + 1 FROM n WHERE i < :last)
INSERT INTO supporters_supporter (
    campaign_id, public_id, ref_code, country, display_name, show_name, email_encrypted,
    email_hash, contact_ok, language, consent_version, consented_at, confirmed_at, ip_hash,
    anonymised_at, created_at, updated_at, referred_by_id, name_hidden, remind_me,
    on_leaderboard)
SELECT :campaign, lower(hex(randomblob(16))), 'b' || i, substr(:countries, 1 + (i % 60) * 2, 2),
    '', 0, '', NULL, 0, 'en', :consent, datetime('now'),
    CASE WHEN i % 5 < 2 THEN datetime('now') END, NULL, NULL, datetime('now'), datetime('now'),
    NULL, 0, 0, 0
FROM n
"""


def sqlite_database(env: dict[str, str]) -> tuple[dict[str, str], Callable[[], int]]:
    """A SQLite file holding the example campaigns and a million supporters (made once, in
    var/), the environment to serve it, and its row counter."""
    path = run.REPO / "var" / "bench-spike.sqlite3"
    path.parent.mkdir(exist_ok=True)
    env = {**env, "DATABASE_URL": f"sqlite:///{path}"}
    run.hashrally(env, "migrate", "--noinput", "-v", "0")
    run.hashrally(
        env, "campaign", "load", *sorted(str(p) for p in run.REPO.glob("examples/*.toml"))
    )
    db = sqlite3.connect(path)
    (campaign,) = db.execute(
        "SELECT id FROM campaigns_campaign WHERE slug = ?", [run.SLUG]
    ).fetchone()
    db.execute(
        "DELETE FROM supporters_supporter WHERE campaign_id = ? AND consent_version <> ?",
        [campaign, run.BENCH_CONSENT],
    )
    (present,) = db.execute(
        "SELECT count(*) FROM supporters_supporter WHERE consent_version = ?", [run.BENCH_CONSENT]
    ).fetchone()
    if present != run.SUPPORTERS:
        db.execute(
            "DELETE FROM supporters_supporter WHERE consent_version = ?", [run.BENCH_CONSENT]
        )
        run.say(f"SQLite: inserting {run.SUPPORTERS:,} supporters into {path}")
        for first in range(1, run.SUPPORTERS + 1, run.FILL_CHUNK):
            last = min(first + run.FILL_CHUNK - 1, run.SUPPORTERS)
            db.execute(
                SQLITE_FILL,
                {
                    "first": first,
                    "last": last,
                    "campaign": campaign,
                    "countries": "".join(run.COUNTRIES),
                    "consent": run.BENCH_CONSENT,
                },
            )
            run.say(f"  {last:>9,} / {run.SUPPORTERS:,} rows")
    db.commit()
    db.execute("ANALYZE")
    db.close()
    with run.ticking("building the counts (worker --once --full)"):
        run.hashrally(env, "worker", "--once", "--full")

    def count() -> int:
        with contextlib.closing(sqlite3.connect(path)) as reader:
            (rows,) = reader.execute(
                "SELECT count(*) FROM supporters_supporter WHERE campaign_id = ?", [campaign]
            ).fetchone()
        return int(rows)

    return env, count


CONFIGURATIONS = ("pg-one", "pg-two", "sqlite")


def main(argv: Sequence[str]) -> int:
    # `bench/spike.py pg-one` runs one configuration (while working on it); none runs all.
    chosen = set(argv) or set(CONFIGURATIONS)
    if chosen - set(CONFIGURATIONS):
        raise SystemExit(
            f"unknown configuration {sorted(chosen - set(CONFIGURATIONS))}; "
            f"choose from {', '.join(CONFIGURATIONS)}"
        )
    settings = run.read_settings([])
    env = run.base_env()
    campaign = run.prepare_database(settings, env)

    def pg_count() -> int:
        with psycopg.connect(run.DATABASE_URL, autocommit=True) as conn:
            return run.count_supporters(conn, campaign)

    lines = [
        f"hashrally spike {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}",
        *run.machine_lines(settings, 0)[1:3],
        f"spike:     {RATE} joins/s for {SECONDS}s; page and counts.json read by wrk "
        "(8 connections each per server) meanwhile",
        "",
    ]
    logs = Path(tempfile.mkdtemp(prefix="hashrally-spike-"))
    run.say(f"server logs in {logs}")

    def one_server(label: str, env: dict[str, str], count: Callable[[], int], name: str) -> None:
        (logs / name).mkdir()
        server = run.Servers(port=run.free_port(), logs=logs / name)
        try:
            server.start(settings, env)
            server.wait_healthy()
            measure(label, [server], count, lines)
        finally:
            server.stop()

    if "pg-one" in chosen:
        one_server(
            "PostgreSQL: one app server (gunicorn 4 workers), one worker", env, pg_count, "a"
        )
    if "pg-two" in chosen:
        two_servers(settings, env, pg_count, logs, lines)
    if "sqlite" in chosen:
        lines.append("")
        sqlite_env, sqlite_count = sqlite_database(env)
        one_server(
            "SQLite: one app server (gunicorn 4 workers), one worker",
            sqlite_env,
            sqlite_count,
            "d",
        )
    print("\n".join(lines))
    return 0


def two_servers(
    settings: run.Settings,
    env: dict[str, str],
    count: Callable[[], int],
    logs: Path,
    lines: list[str],
) -> None:
    # Two app servers, two workers: half the processes each, the same machine and database.
    half = run.Settings(**{**settings.__dict__, "workers": max(1, settings.workers // 2)})
    servers = []
    try:
        for name in ("b", "c"):
            (logs / name).mkdir()
            server = run.Servers(port=run.free_port(), logs=logs / name)
            server.start(half, env)
            servers.append(server)
        for server in servers:
            server.wait_healthy()
        lines.append("")
        measure(
            f"PostgreSQL: two app servers (gunicorn {half.workers} workers each), two workers",
            servers,
            count,
            lines,
        )
    finally:
        for server in servers:
            server.stop()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        run.say("interrupted")
        sys.exit(130)
