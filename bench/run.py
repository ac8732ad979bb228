"""`make bench`: load the production server on PostgreSQL with wrk and print the figures.

One run prepares a PostgreSQL database holding a million supporters, starts gunicorn and the
background worker exactly as production would, measures four endpoints one after another with
the same duration and connections, and prints requests per second, latency and errors next to
the /healthz baseline, with the goals marked PASS or FAIL. It always exits 0 once it measured:
a failed goal is a finding, not a crash.

Progress goes to stderr, the report to stdout. Environment overrides: BENCH_SECONDS (10),
BENCH_CONNECTIONS (32), BENCH_WARMUP seconds per endpoint (2), BENCH_WRK_THREADS (2),
BENCH_WORKERS and BENCH_THREADS (gunicorn; threads > 1 selects the gthread worker).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from importlib.metadata import version
from pathlib import Path
from types import FrameType
from typing import IO

import psycopg
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "bench"
# The interpreter make runs (.venv/bin/python) sits next to the project's console scripts.
BIN = Path(sys.executable).parent

DB_NAME = "hashrally_bench"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
DATABASE_URL = f"{PG_SERVER}/{DB_NAME}"
REDIS_URL = "redis://127.0.0.1:6379/15"
SLUG = "recognize-to-reconcile"
SUPPORTERS = 1_000_000
# The fill is one INSERT ... SELECT FROM generate_series per chunk, so progress can be shown
# and an interrupted fill is detected (wrong count) and redone on the next run.
FILL_CHUNK = 100_000
BENCH_CONSENT = "bench"  # marks the pre-filled rows, apart from the joins the benchmark adds

# Sixty ISO codes, so the counts, the map and the country table have realistic work to do.
# fmt: off
COUNTRIES = (
    "AZ", "TR", "DE", "FR", "GB", "US", "PK", "KZ", "NL", "IT", "UZ", "GE", "RU", "UA", "PL",
    "ES", "PT", "BE", "AT", "CH", "SE", "NO", "DK", "FI", "IE", "CZ", "SK", "HU", "RO", "BG",
    "GR", "RS", "BA", "HR", "SI", "AL", "MK", "MD", "BY", "LT", "LV", "EE", "CA", "MX", "BR",
    "AR", "CL", "CO", "EG", "MA", "DZ", "TN", "SA", "AE", "QA", "KW", "IR", "IN", "ID", "MY",
)
# fmt: on
assert len(COUNTRIES) == 60

# The goals the supporters issue set, as ratios to /healthz measured in the same run.
PAGE_GOAL = 0.8
COUNTS_GOAL = 0.8
JOIN_GOAL = 0.15
JOIN_P99_GOAL_MS = 500.0
# More "other" CPU than this during a run means something else competed with the benchmark.
DISTURBED_CORES = 0.25


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


@dataclass(frozen=True)
class Settings:
    seconds: int
    connections: int
    warmup: int
    wrk_threads: int
    workers: int
    threads: int
    fresh: bool

    @property
    def worker_class(self) -> str:
        return "gthread" if self.threads > 1 else "sync"


def read_settings(argv: Sequence[str] | None) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--fresh", action="store_true", help=f"drop and rebuild the {DB_NAME} database"
    )
    args = parser.parse_args(argv)
    return Settings(
        seconds=env_int("BENCH_SECONDS", 10),
        connections=env_int("BENCH_CONNECTIONS", 32),
        warmup=env_int("BENCH_WARMUP", 2),
        wrk_threads=env_int("BENCH_WRK_THREADS", 2),
        # Four sync workers, two per core: the work is CPU-bound Python, so threads add no
        # parallelism under the GIL, and a second process per core runs while the first waits
        # on PostgreSQL or Redis. gthread (2 x 4) was as fast on average but erratic: its
        # keep-alive connections stay with the process that accepted them, and in some runs
        # all 32 landed in one process, leaving a core idle (docs/benchmarks.md).
        workers=env_int("BENCH_WORKERS", 4),
        threads=env_int("BENCH_THREADS", 1),
        fresh=args.fresh,
    )


# --- progress -------------------------------------------------------------------------------

_STARTED = time.monotonic()


def say(message: str) -> None:
    """A progress line on stderr, so stdout carries only the report."""
    print(f"[bench {time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def ticking(message: str, every: float = 5.0) -> Iterator[None]:
    """Say `message`, then repeat it with the elapsed time while a long step runs."""
    say(message)
    done = threading.Event()
    begun = time.monotonic()

    def tick() -> None:
        while not done.wait(every):
            say(f"  ... still {message.rstrip('.').lower()} ({time.monotonic() - begun:.0f}s)")

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()
        say(f"  done in {time.monotonic() - begun:.1f}s")


# --- the database ---------------------------------------------------------------------------


def base_env() -> dict[str, str]:
    """Production settings (DEBUG off), with keys made for this run only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HASHRALLY_")}
    env.update(
        DJANGO_SETTINGS_MODULE="hashrally.settings",
        HASHRALLY_SECRET_KEY=secrets.token_urlsafe(48),
        HASHRALLY_DATA_KEYS=Fernet.generate_key().decode(),
        DATABASE_URL=DATABASE_URL,
        HASHRALLY_DB_CONN_MAX_AGE="60",
        HASHRALLY_REDIS_URL=REDIS_URL,
        # Every join comes from 127.0.0.1: the per-IP limit would turn the run into 429s.
        HASHRALLY_RATELIMIT="0",
        HASHRALLY_ALLOWED_HOSTS="127.0.0.1",
        HASHRALLY_DEBUG="0",
        # The benchmark measures joins and pages; a scheduled collection would reach out to
        # the networks' real servers (and compete for the cores).
        HASHRALLY_COLLECT_ON_SCHEDULE="0",
    )
    return env


def hashrally(env: dict[str, str], *args: str) -> None:
    # The command's own output is progress too: send it to stderr with ours.
    done = subprocess.run([str(BIN / "hashrally"), *args], env=env, cwd=REPO, stdout=sys.stderr)
    if done.returncode:
        raise SystemExit(f"`hashrally {' '.join(args)}` failed (exit {done.returncode}), see above")


def ensure_database(fresh: bool) -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if exists and fresh:
            say(f"--fresh: dropping database {DB_NAME}")
            conn.execute(f"DROP DATABASE {DB_NAME} WITH (FORCE)")
            exists = None
        if exists:
            say(f"database {DB_NAME} exists: reusing it")
        else:
            say(f"creating database {DB_NAME}")
            conn.execute(f"CREATE DATABASE {DB_NAME}")


def campaign_id(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT id FROM campaigns_campaign WHERE slug = %s", [SLUG]).fetchone()
    if row is None:
        raise SystemExit(f"campaign {SLUG!r} is missing after `campaign load`")
    return int(row[0])


def count_supporters(conn: psycopg.Connection, campaign: int) -> int:
    row = conn.execute(
        "SELECT count(*) FROM supporters_supporter WHERE campaign_id = %s", [campaign]
    ).fetchone()
    return int(row[0]) if row else 0


FILL_SQL = """
INSERT INTO supporters_supporter (
    campaign_id, public_id, ref_code, country, display_name, show_name, email_encrypted,
    email_hash, contact_ok, language, consent_version, consented_at, confirmed_at, ip_hash,
    anonymised_at, created_at, updated_at, referred_by_id, name_hidden, remind_me,
    on_leaderboard)
SELECT %(campaign)s, gen_random_uuid(), 'b' || i, (%(countries)s::text[])[1 + i %% 60], '',
    false, '', NULL, false, 'en', %(consent)s, now(),
    CASE WHEN i %% 5 < 2 THEN now() END,  -- two in five confirmed their email
    NULL, NULL, now(), now(), NULL, false, false, false
FROM generate_series(%(first)s, %(last)s) AS i
"""


def fill_supporters(conn: psycopg.Connection, campaign: int) -> None:
    """Make the campaign hold exactly SUPPORTERS pre-filled rows and no others."""
    # Joins from earlier runs would make every run start larger than the last; drop them.
    leftover = conn.execute(
        "DELETE FROM supporters_supporter WHERE campaign_id = %s AND consent_version <> %s",
        [campaign, BENCH_CONSENT],
    ).rowcount
    conn.commit()
    if leftover:
        say(f"removed {leftover:,} supporters left by earlier benchmark joins")
    row = conn.execute(
        "SELECT count(*) FROM supporters_supporter WHERE campaign_id = %s AND consent_version = %s",
        [campaign, BENCH_CONSENT],
    ).fetchone()
    present = int(row[0]) if row else 0
    if present == SUPPORTERS:
        say(f"{SUPPORTERS:,} supporters already present: reusing them")
        return
    if present:
        say(f"found {present:,} pre-filled supporters (an interrupted fill?): refilling")
        conn.execute(
            "DELETE FROM supporters_supporter WHERE campaign_id = %s AND consent_version = %s",
            [campaign, BENCH_CONSENT],
        )
        conn.commit()
    say(f"inserting {SUPPORTERS:,} supporters in chunks of {FILL_CHUNK:,}")
    begun = time.monotonic()
    for first in range(1, SUPPORTERS + 1, FILL_CHUNK):
        last = min(first + FILL_CHUNK - 1, SUPPORTERS)
        params = {
            "campaign": campaign,
            "countries": list(COUNTRIES),
            "consent": BENCH_CONSENT,
            "first": first,
            "last": last,
        }
        conn.execute(FILL_SQL, params)
        conn.commit()
        elapsed = time.monotonic() - begun
        eta = elapsed / last * (SUPPORTERS - last)
        say(f"  {last:>9,} / {SUPPORTERS:,} rows  ({elapsed:.0f}s, about {eta:.0f}s left)")


def prepare_database(settings: Settings, env: dict[str, str]) -> int:
    """Create or reuse the database; return the campaign's id."""
    ensure_database(settings.fresh)
    with ticking("migrating"):
        hashrally(env, "migrate", "--noinput", "-v", "0")
    with ticking("loading the example campaigns"):
        hashrally(env, "campaign", "load", *sorted(str(p) for p in REPO.glob("examples/*.toml")))
    with psycopg.connect(DATABASE_URL) as conn:
        campaign = campaign_id(conn)
        fill_supporters(conn, campaign)
    # Index-only scans (the counts' covering index) need the visibility map that VACUUM
    # writes; autovacuum would get there later, in the middle of a measurement.
    with (
        ticking("vacuuming and analysing supporters"),
        psycopg.connect(DATABASE_URL, autocommit=True) as conn,
    ):
        conn.execute("VACUUM (ANALYZE) supporters_supporter")
    with ticking("building the counts (worker --once --full)"):
        hashrally(env, "worker", "--once", "--full")
    return campaign


# --- the servers ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Servers:
    port: int
    logs: Path
    gunicorn: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    _files: list[IO[bytes]] = field(default_factory=list)

    def start(self, settings: Settings, env: dict[str, str]) -> None:
        gunicorn_log = open(self.logs / "gunicorn.log", "wb")  # noqa: SIM115 - closed in stop()
        worker_log = open(self.logs / "worker.log", "wb")  # noqa: SIM115 - closed in stop()
        self._files += [gunicorn_log, worker_log]
        command = [
            str(BIN / "gunicorn"),
            "hashrally.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={settings.workers}",
            f"--worker-class={settings.worker_class}",
            f"--threads={settings.threads}",
            "--graceful-timeout=5",
            "--log-level=warning",
        ]
        say(f"starting gunicorn: {' '.join(command[1:])}")
        # Own sessions: Ctrl-C reaches only this script, which then stops both in order.
        self.gunicorn = subprocess.Popen(
            command,
            env=env,
            cwd=REPO,
            stdout=gunicorn_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        say("starting the worker: hashrally worker")
        self.worker = subprocess.Popen(
            [str(BIN / "hashrally"), "worker"],
            env=env,
            cwd=REPO,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in (("gunicorn", self.gunicorn), ("worker", self.worker)):
                if proc is not None and proc.poll() is not None:
                    raise SystemExit(f"{name} exited early:\n{self.log_tail(name)}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                status, _, _ = http_get(self.port, "/healthz")
                if status == 200:
                    say(f"server answers on http://127.0.0.1:{self.port}/healthz")
                    return
            time.sleep(0.2)
        raise SystemExit(f"no answer from /healthz in {timeout:.0f}s:\n{self.log_tail('gunicorn')}")

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.logs / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        for name, proc in (("worker", self.worker), ("gunicorn", self.gunicorn)):
            if proc is None or proc.poll() is not None:
                continue
            say(f"stopping {name} (pid {proc.pid})")
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                say(f"{name} ignored SIGTERM: killing its process group")
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        for handle in self._files:
            handle.close()


def http_get(port: int, path: str) -> tuple[int, list[str], str]:
    """GET from the server; return the status, Set-Cookie headers and body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read().decode("utf-8", errors="replace")
        return response.status, response.headers.get_all("Set-Cookie") or [], body
    finally:
        conn.close()


def csrf_pair(port: int, path: str) -> tuple[str, str]:
    """The csrftoken cookie and the form's token, as a browser would get them from the form."""
    status, set_cookies, body = http_get(port, path)
    if status != 200:
        raise SystemExit(f"GET {path} answered {status}; cannot get a CSRF token")
    cookie = SimpleCookie()
    for header in set_cookies:
        cookie.load(header)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if "csrftoken" not in cookie or match is None:
        raise SystemExit(f"GET {path} gave no csrftoken cookie or no csrfmiddlewaretoken field")
    return cookie["csrftoken"].value, match.group(1)


# --- CPU accounting: where the two cores went during a run ----------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_table() -> dict[int, tuple[str, int, float]]:
    """pid -> (command name, parent pid, CPU seconds used so far).

    PostgreSQL's postmaster also carries what its exited children used (cutime and cstime):
    backends whose connection closed and parallel query workers then still count."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue  # exited while we looked
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        # After the name: state, ppid, ... utime and stime are the 12th and 13th fields.
        ticks = int(fields[11]) + int(fields[12])
        if name == "postgres" and _is_postmaster(entry):
            ticks += int(fields[13]) + int(fields[14])
        table[int(entry.name)] = (name, int(fields[1]), ticks / CLOCK_TICKS)
    return table


def _is_postmaster(entry: Path) -> bool:
    # Backends are forked from the postmaster without exec: only its command line lacks the
    # "postgres: " title they set.
    try:
        return not (entry / "cmdline").read_bytes().startswith(b"postgres: ")
    except OSError:
        return False


def machine_busy() -> tuple[float, float, float]:
    """(busy, stolen, total) CPU seconds of the whole machine since boot, from /proc/stat.

    Stolen time is when the hypervisor ran another guest while ours wanted the CPU: a busy
    neighbour on the host, invisible to every process count.
    """
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    steal = values[7]
    total = sum(values[:8])  # user .. steal (guest time is already in user)
    return (total - idle - steal) / CLOCK_TICKS, steal / CLOCK_TICKS, total / CLOCK_TICKS


@dataclass(frozen=True)
class CpuSample:
    processes: dict[int, tuple[str, float]]  # pid -> (group, CPU seconds so far)
    busy: float
    stolen: float
    total: float
    children: float  # this script's waited-for children: wrk once it has exited
    own: float  # this script itself: the spike's join sender


GROUPS = ("gunicorn", "postgres", "redis", "worker", "wrk", "bench")


def sample_cpu(servers: Servers | None = None) -> CpuSample:
    table = process_table()
    gunicorn_pid = servers.gunicorn.pid if servers and servers.gunicorn else -1
    worker_pid = servers.worker.pid if servers and servers.worker else -1
    processes = {}
    for pid, (name, ppid, cpu) in table.items():
        if pid == gunicorn_pid or ppid == gunicorn_pid:
            processes[pid] = ("gunicorn", cpu)
        elif pid == worker_pid:
            processes[pid] = ("worker", cpu)
        elif name == "postgres":
            processes[pid] = ("postgres", cpu)
        elif name.startswith("redis-server"):
            processes[pid] = ("redis", cpu)
        elif name == "wrk":
            processes[pid] = ("wrk", cpu)
    busy, stolen, total = machine_busy()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    return CpuSample(
        processes,
        busy,
        stolen,
        total,
        children.ru_utime + children.ru_stime,
        own.ru_utime + own.ru_stime,
    )


@dataclass(frozen=True)
class CpuUse:
    """Cores used on average during a run, per process group (2.0 = both cores)."""

    cores: dict[str, float]
    machine_busy_pct: float
    stolen: float  # cores the hypervisor gave to other guests

    @staticmethod
    def between(before: CpuSample, after: CpuSample, seconds: float) -> CpuUse:
        used = dict.fromkeys(GROUPS, 0.0)
        # Per process, from its CPU at the first sample (0 if it started later). A process
        # that exited between the samples (PostgreSQL's parallel query workers, a backend
        # whose connection closed) is missing from the second: its share lands in "other".
        for pid, (group, cpu) in after.processes.items():
            earlier = before.processes.get(pid)
            used[group] += cpu - (earlier[1] if earlier and earlier[0] == group else 0.0)
        used["wrk"] += after.children - before.children
        used["bench"] += after.own - before.own
        cores = {k: v / seconds for k, v in used.items()}
        wall = after.total - before.total
        busy_pct = 100.0 * (after.busy - before.busy) / wall if wall else 0.0
        stolen = (after.stolen - before.stolen) / seconds
        # Whatever else ran meanwhile competed for the cores: another test suite, a browser,
        # and the processes that exited before the second sample.
        cores["other"] = max(0.0, (after.busy - before.busy) / seconds - sum(cores.values()))
        return CpuUse(cores, busy_pct, stolen)

    def describe(self) -> str:
        parts = [f"{k} {v:.2f}" for k, v in self.cores.items()]
        return (
            f"{', '.join(parts)}; machine busy {self.machine_busy_pct:.0f}%"
            f", stolen {self.stolen:.2f}"
        )


# --- wrk ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    label: str
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    status_303: int
    status_ok_other: int
    status_4xx: int
    status_5xx: int
    socket_errors: int
    sent: int
    cpu: CpuUse

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def bad_status(self) -> int:
        return self.status_4xx + self.status_5xx


def run_wrk(
    settings: Settings,
    servers: Servers,
    label: str,
    path: str,
    script: str,
    script_args: Sequence[str] = (),
    seconds: int | None = None,
) -> WrkResult:
    seconds = seconds or settings.seconds
    command = [
        "wrk",
        f"--threads={settings.wrk_threads}",
        f"--connections={settings.connections}",
        f"--duration={seconds}s",
        # wrk leaves requests slower than --timeout out of the latency histogram (default 2s),
        # which would flatter p99 exactly when the server struggles.
        "--timeout=30s",
        "--latency",
        f"--script={BENCH_DIR / script}",
        f"http://127.0.0.1:{servers.port}{path}",
    ]
    if script_args:
        command += ["--", *script_args]
    before = sample_cpu(servers)
    started = time.monotonic()
    completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    wall = time.monotonic() - started
    after = sample_cpu(servers)
    report = next(
        (line for line in completed.stdout.splitlines() if line.startswith("BENCH_JSON ")), None
    )
    if completed.returncode != 0 or report is None:
        raise SystemExit(
            f"wrk failed on {path} (exit {completed.returncode}):\n"
            f"{completed.stdout}\n{completed.stderr}"
        )
    data = json.loads(report.removeprefix("BENCH_JSON "))
    errors = data["errors"]
    latency = data["latency_us"]
    return WrkResult(
        label=label,
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        status_303=data["status"]["303"],
        status_ok_other=data["status"]["ok_other"],
        status_4xx=data["status"]["4xx"],
        status_5xx=data["status"]["5xx"],
        socket_errors=errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        sent=data["sent"],
        cpu=CpuUse.between(before, after, wall),
    )


# --- the report -----------------------------------------------------------------------------


def command_output(*command: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (done.stdout or done.stderr).strip().split("\n")[0]


def machine_lines(settings: Settings, rows_at_start: int) -> list[str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    memory = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    with psycopg.connect(DATABASE_URL) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        pg_version = str(row[0]) if row else "?"
    return [
        f"machine:   {command_output('nproc')} CPUs (nproc), "
        f"{model.group(1) if model else '?'}, "
        f"{int(memory.group(1)) // 1024 if memory else '?'} MiB RAM, "
        f"Linux {platform.release()}",
        f"software:  Python {platform.python_version()}, Django {version('django')}, "
        f"gunicorn {version('gunicorn')}, PostgreSQL {pg_version}, "
        f"{command_output('redis-server', '--version').split(' sha=')[0]}, "
        f"{command_output('wrk', '--version').split(' Copyright')[0]}",
        f"server:    gunicorn {settings.workers} x {settings.worker_class}"
        + (f" ({settings.threads} threads each)" if settings.threads > 1 else "")
        + ", HASHRALLY_DB_CONN_MAX_AGE=60, Redis cache db 15, rate limits off; "
        "background worker running",
        f"load:      wrk {settings.wrk_threads} threads, {settings.connections} connections, "
        f"{settings.seconds}s per endpoint after {settings.warmup}s warm-up, on the same machine",
        f"data:      {rows_at_start:,} supporters of {SLUG} in {DB_NAME} at start",
    ]


def print_report(
    settings: Settings,
    rows_at_start: int,
    idle_busy: float,
    results: list[WrkResult],
    rows_added: int,
) -> None:
    out = sys.stdout
    base = results[0].rps
    print("\nhashrally benchmark", time.strftime("%Y-%m-%d %H:%M:%S %Z"), file=out)
    for line in machine_lines(settings, rows_at_start):
        print(line, file=out)
    print(
        f"quiet:     {idle_busy:.2f} cores busy with other processes or guests just before the run"
        + ("  (NOT IDLE: figures are low and noisy)" if idle_busy > DISTURBED_CORES else ""),
        file=out,
    )
    header = (
        f"\n{'endpoint':<46} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'non-2xx/3xx':>11} {'5xx':>5} {'sock err':>8} {'x healthz':>9}"
    )
    print(header, file=out)
    print("-" * (len(header) - 1), file=out)
    for r in results:
        ratio = r.rps / base if base else 0.0
        print(
            f"{r.label:<46} {r.rps:>8.1f} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f} "
            f"{r.bad_status:>11} {r.status_5xx:>5} {r.socket_errors:>8} {ratio:>9.2f}",
            file=out,
        )
    print(
        "\nCPU used during each run, in cores (2.00 = both cores of a 2-core machine; other ="
        " the rest, incl. short-lived PostgreSQL parallel workers):",
        file=out,
    )
    for r in results:
        print(f"  {r.label:<44} {r.cpu.describe()}", file=out)
    disturbed = [r.label for r in results if r.cpu.cores["other"] + r.cpu.stolen > DISTURBED_CORES]
    if disturbed:
        print(
            f"  WARNING: other processes or guests took over {DISTURBED_CORES} cores during "
            f"{', '.join(disturbed)}: those figures are low; rerun on an idle machine",
            file=out,
        )

    page, counts_json, joins = results[1], results[2], results[3]
    unanswered = max(0, joins.sent - joins.requests)
    print(
        f"\njoins: {joins.status_303:,} acknowledged (303), {joins.status_ok_other} other 2xx/3xx, "
        f"{joins.status_4xx} 4xx, {joins.status_5xx} 5xx; {rows_added:,} rows added; "
        f"{unanswered} requests were in flight when wrk stopped",
        file=out,
    )
    # wrk stops on the clock and drops the requests it has in flight; the server still
    # completes them, so up to `unanswered` rows may exist whose 303 wrk never read.
    rows_ok = joins.status_303 <= rows_added <= joins.status_303 + unanswered
    goals = [
        (
            f"page >= {PAGE_GOAL}x healthz",
            page.rps >= PAGE_GOAL * base,
            f"{page.rps / base:.2f}x" if base else "-",
        ),
        (
            f"counts.json >= {COUNTS_GOAL}x healthz",
            counts_json.rps >= COUNTS_GOAL * base,
            f"{counts_json.rps / base:.2f}x" if base else "-",
        ),
        (
            f"joins >= {JOIN_GOAL}x healthz",
            joins.rps >= JOIN_GOAL * base,
            f"{joins.rps / base:.2f}x" if base else "-",
        ),
        (
            f"join p99 < {JOIN_P99_GOAL_MS:.0f} ms",
            joins.p99_ms < JOIN_P99_GOAL_MS,
            f"{joins.p99_ms:.1f} ms",
        ),
        (
            "zero 5xx",
            all(r.status_5xx == 0 for r in results),
            f"{sum(r.status_5xx for r in results)} 5xx",
        ),
        (
            "rows added == acknowledged joins",
            rows_ok,
            f"{rows_added:,} rows, {joins.status_303:,} acknowledged"
            + (
                f" + {rows_added - joins.status_303} in flight at stop"
                if rows_ok and rows_added > joins.status_303
                else ""
            ),
        ),
    ]
    print("\ngoals:", file=out)
    for name, ok, detail in goals:
        print(f"  {'PASS' if ok else 'FAIL'}  {name:<36} ({detail})", file=out)
    failed = sum(1 for _, ok, _ in goals if not ok)
    print(
        f"\n{len(goals) - failed} of {len(goals)} goals met"
        + ("" if not failed else " (a measurement: exit status stays 0)"),
        file=out,
    )
    out.flush()


# --- main -----------------------------------------------------------------------------------


def _terminate(signum: int, frame: FrameType | None) -> None:
    # `kill` or make being stopped: unwind like Ctrl-C, so the servers are stopped.
    raise KeyboardInterrupt


def wait_for_quiet_rows(conn: psycopg.Connection, campaign: int) -> int:
    """The row count once requests wrk abandoned at its deadline have finished (max 10 s)."""
    last = count_supporters(conn, campaign)
    for _ in range(20):
        time.sleep(0.5)
        now = count_supporters(conn, campaign)
        if now == last:
            return now
        last = now
    return last


def background_load(seconds: float = 3.0) -> float:
    """Cores busy before the servers start: other work on the machine skews every figure."""
    before = machine_busy()
    time.sleep(seconds)
    after = machine_busy()
    # Stolen time counts too: a busy neighbour on the host slows the run just the same.
    return (after[0] + after[1] - before[0] - before[1]) / seconds


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    settings = read_settings(argv)
    if command_output("wrk", "--version") == "?":
        raise SystemExit("wrk is missing: install it with `scripts/apt-install wrk`")
    env = base_env()
    campaign = prepare_database(settings, env)
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        rows_at_start = count_supporters(conn, campaign)
    say(f"{rows_at_start:,} supporters in {SLUG}")
    idle_busy = background_load()
    say(f"before starting: {idle_busy:.2f} cores busy with other processes or guests")
    if idle_busy > DISTURBED_CORES:
        say("  WARNING: the machine is not idle; the figures will be lower and noisier")

    page = f"/c/{SLUG}/?lang=en&v=0"
    counts = f"/c/{SLUG}/counts.json"
    join = f"/c/{SLUG}/join"
    logs = Path(tempfile.mkdtemp(prefix="hashrally-bench-"))
    servers = Servers(port=free_port(), logs=logs)
    say(f"server logs in {logs}")
    try:
        servers.start(settings, env)
        servers.wait_healthy()
        for path in (page, counts):
            status, _, _ = http_get(servers.port, path)
            if status != 200:
                raise SystemExit(f"GET {path} answered {status}:\n{servers.log_tail('gunicorn')}")
        cookie, token = csrf_pair(servers.port, join)
        join_args = [join, cookie, token]

        # Warm every worker process (imports, templates, connections, the page cache) so the
        # measured seconds are steady state.
        if settings.warmup:
            say(f"warming up: {settings.warmup}s on each GET endpoint")
            for path in ("/healthz", page, counts):
                run_wrk(
                    settings, servers, "warm-up", path, "wrk_stats.lua", seconds=settings.warmup
                )

        results = []
        for label, path in (
            ("GET /healthz", "/healthz"),
            (f"GET /c/{SLUG}/?lang=en&v=0", page),
            (f"GET /c/{SLUG}/counts.json", counts),
        ):
            say(f"measuring {label} for {settings.seconds}s")
            results.append(run_wrk(settings, servers, label, path, "wrk_stats.lua"))
            say(f"  {results[-1].rps:.1f} req/s, p99 {results[-1].p99_ms:.1f} ms")

        # Joins are warmed up only now: the rows they add make the worker recount, which
        # should not run during the GET measurements above.
        if settings.warmup:
            say(f"warming up: {settings.warmup}s of joins")
            run_wrk(
                settings,
                servers,
                "warm-up",
                join,
                "wrk_join.lua",
                join_args,
                seconds=settings.warmup,
            )
        with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
            before = wait_for_quiet_rows(conn, campaign)
            say(f"measuring POST {join} for {settings.seconds}s ({before:,} rows before)")
            results.append(
                run_wrk(settings, servers, f"POST /c/{SLUG}/join", join, "wrk_join.lua", join_args)
            )
            say(f"  {results[-1].rps:.1f} req/s, p99 {results[-1].p99_ms:.1f} ms")
            after = wait_for_quiet_rows(conn, campaign)
        say(f"{after:,} rows after: {after - before:,} added")
    finally:
        # Also on Ctrl-C, SIGTERM and errors: never leave a server running.
        servers.stop()
    for name in ("gunicorn", "worker"):
        text = (logs / f"{name}.log").read_text(errors="replace")
        problems = len(re.findall(r"Traceback|round failed", text))
        if problems:
            say(f"{name} logged {problems} problem(s), see {logs / (name + '.log')}; last lines:")
            say(servers.log_tail(name, 15))
    print_report(settings, rows_at_start, idle_busy, results, after - before)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        say("interrupted")
        sys.exit(130)
