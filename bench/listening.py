"""`make bench`, listening part: `hashrally import` against `twarc2 csv` (twarc-csv) on the same
twarc2 JSONL file in the same run, and peak memory on a ten times larger file.

twarc-csv is installed into its own virtual environment under var/bench/ (it needs pandas < 3),
never into the project's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
TEMPLATE = ROOT / "tests" / "fixtures" / "recorded" / "x" / "brexit.jsonl"
TWARC_VENV = WORK / "venv-twarc"
POSTS_PER_LINE = 100
REPEAT_SHARE = 0.05


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def generate(path: Path, posts: int) -> None:
    """Pages shaped like the recorded ones, each post also carrying the example campaign's
    hashtag (so every post is the campaign's, as in a campaign's own search); 5 % of posts come
    again on a later page."""
    if path.exists():
        return
    say(f"writing {path.name} ({posts:,} posts)")
    template = orjson.loads(TEMPLATE.read_bytes())
    tweets = template["data"]
    repeats_per_line = int(POSTS_PER_LINE * REPEAT_SHARE)
    fresh_per_line = POSTS_PER_LINE - repeats_per_line
    lines = posts // POSTS_PER_LINE
    next_id = 10**17
    earlier: list[dict[str, object]] = []
    with path.open("wb") as handle:
        for line in range(lines):
            page = []
            for n in range(fresh_per_line):
                tweet = dict(tweets[n % len(tweets)])
                entities = dict(tweet.get("entities") or {})
                entities["hashtags"] = [*(entities.get("hashtags") or []), {"tag": "Khojaly"}]
                tweet["entities"] = entities
                tweet["id"] = str(next_id)
                next_id += 1
                page.append(tweet)
            for n in range(repeats_per_line):
                page.append(earlier[(line * 7 + n * 13) % len(earlier)] if earlier else page[n])
            earlier = page[:fresh_per_line] if line % 10 == 0 else earlier
            template["data"] = page
            template["meta"] = {"result_count": len(page), "next_token": f"t{line}"}
            handle.write(orjson.dumps(template) + b"\n")
            if line % 1000 == 0:
                say(f"  {line:,}/{lines:,} lines")


def ensure_twarc() -> Path:
    twarc2 = TWARC_VENV / "bin" / "twarc2"
    if not twarc2.exists():
        say("installing twarc-csv 0.7.2 into var/bench/venv-twarc (pandas < 3)")
        subprocess.run([sys.executable, "-m", "venv", str(TWARC_VENV)], check=True)
        subprocess.run(
            [str(TWARC_VENV / "bin" / "pip"), "install", "--quiet", "twarc-csv==0.7.2", "pandas<3"],
            check=True,
        )
    return twarc2


def measured(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak resident MiB and standard output of a command run in a child."""
    wrapper = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "elapsed = time.perf_counter() - t\n"
        "sys.stderr.write(p.stderr[-2000:])\n"
        "print(json.dumps({'rc': p.returncode, 'seconds': elapsed, 'stdout': p.stdout,"
        " 'maxrss_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", wrapper, *command],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    data = json.loads(result.stdout)
    if data["rc"] != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    return data["seconds"], data["maxrss_kb"] / 1024, data["stdout"]


def hashrally_import(path: Path, database: Path) -> tuple[float, float, dict[str, int]]:
    database.unlink(missing_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        # Production settings: debug mode would keep every SQL statement in memory.
        "HASHRALLY_DEBUG": "0",
        "HASHRALLY_SECRET_KEY": "bench-" + "k" * 40,
        "HASHRALLY_DATA_KEYS": "YmVuY2gta2V5LW5vdC1mb3ItYW55LXJlYWwtZGF0YS0=",
        "DJANGO_SETTINGS_MODULE": "hashrally.settings",
    }
    hashrally = str(ROOT / ".venv" / "bin" / "hashrally")
    subprocess.run([hashrally, "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [hashrally, "campaign", "load", *map(str, sorted((ROOT / "examples").glob("*.toml")))],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds, peak, out = measured(
        [hashrally, "import", "recognize-to-reconcile", str(path), "--format", "twarc2", "--json"],
        env,
    )
    return seconds, peak, json.loads(out)


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    posts = int(os.environ.get("BENCH_IMPORT_POSTS", "100000"))
    large = int(os.environ.get("BENCH_IMPORT_LARGE_POSTS", "1000000"))
    small_file = WORK / f"x-khojaly-{posts}.jsonl"
    large_file = WORK / f"x-khojaly-{large}.jsonl"
    generate(small_file, posts)
    twarc2 = ensure_twarc()

    say("twarc2 csv ...")
    csv_out = WORK / "twarc.csv"
    # twarc2 asks for API keys at start-up unless given one; converting a file needs none.
    twarc_s, twarc_mb, _ = measured(
        [str(twarc2), "--bearer-token", "unused", "csv", str(small_file), str(csv_out)]
    )
    say("hashrally import ...")
    ours_s, ours_mb, summary = hashrally_import(small_file, WORK / "import.sqlite3")

    rows = [
        ("twarc2 csv (twarc-csv 0.7.2)", posts, twarc_s, twarc_mb, ""),
        ("hashrally import (SQLite)", posts, ours_s, ours_mb, json.dumps(summary)),
    ]
    if large:
        generate(large_file, large)
        say("hashrally import, large file ...")
        big_s, big_mb, big_summary = hashrally_import(large_file, WORK / "import-large.sqlite3")
        rows.append(("hashrally import (SQLite)", large, big_s, big_mb, json.dumps(big_summary)))

    print(f"{'what':32} {'posts':>10} {'seconds':>8} {'posts/s':>9} {'peak MiB':>9}  summary")
    for what, n, seconds, peak, extra in rows:
        print(f"{what:32} {n:>10,} {seconds:>8.1f} {n / seconds:>9,.0f} {peak:>9.0f}  {extra}")
    ratio = twarc_s / ours_s
    print(
        f"\nthroughput ratio hashrally import / twarc2 csv: {ratio:.1f}x (goal: at least 5x) "
        f"{'PASS' if ratio >= 5 else 'FAIL'}"
    )
    if large:
        growth = rows[2][3] / ours_mb
        print(
            f"peak memory {large:,} vs {posts:,} posts: {growth:.2f}x "
            f"({'flat: PASS' if growth < 1.5 else 'grows: FAIL'})"
        )


if __name__ == "__main__":
    main()
