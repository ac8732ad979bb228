"""Where one request's CPU goes: profile an endpoint in-process against the benchmark database.

    .venv/bin/python bench/profile_endpoint.py join      # or: healthz, page, counts
    .venv/bin/python bench/profile_endpoint.py join -n 500 --sort tottime --top 40

`make bench` measures how fast the server is; this shows why, without gunicorn or wrk in the
way. Requests go through Django's full middleware stack (django.test.Client with CSRF checks
on) with the same production settings as the benchmark, on the hashrally_bench database that
`make bench` prepared; joins add rows there, which the next `make bench` removes.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from run import SLUG, base_env  # the path is set just above

os.environ.update(base_env())

import django  # after the environment above: settings read it

django.setup()

from django.test import Client  # noqa: E402 - needs django.setup() first

PATHS = {
    "healthz": "/healthz",
    "page": f"/c/{SLUG}/?lang=en&v=0",
    "counts": f"/c/{SLUG}/counts.json",
    "join": f"/c/{SLUG}/join",
}


def request_for(endpoint: str) -> Callable[[Client], int]:
    path = PATHS[endpoint]
    if endpoint != "join":
        return lambda client: client.get(path).status_code
    # One GET gives the CSRF cookie and token, as for the benchmark's wrk script.
    client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    html = client.get(path).content.decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if match is None:
        raise SystemExit("the join form has no csrfmiddlewaretoken field")
    # Form-encoded like the benchmark's (and a browser's) POST, not the test client's multipart.
    body = urlencode({"csrfmiddlewaretoken": match.group(1), "country": "AZ", "consent": "on"})
    cookie = client.cookies["csrftoken"].value

    def post(c: Client) -> int:
        # A new person each time, as wrk's joins are: without the cookie a join leaves, which
        # would make every later POST an update of that browser's own record.
        c.cookies.clear()
        c.cookies["csrftoken"] = cookie
        return c.post(path, body, content_type="application/x-www-form-urlencoded").status_code

    return post


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("endpoint", choices=sorted(PATHS))
    parser.add_argument("-n", "--requests", type=int, default=300)
    parser.add_argument("--sort", default="cumulative", help="pstats sort key")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    send = request_for(args.endpoint)
    client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    for _ in range(20):  # warm imports, templates, connections and the page cache
        send(client)
    # Timed once plainly (the profiler roughly doubles Python time), then profiled.
    started = time.perf_counter()
    for _ in range(args.requests):
        send(client)
    plain = (time.perf_counter() - started) / args.requests
    statuses: dict[int, int] = {}
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(args.requests):
        status = send(client)
        statuses[status] = statuses.get(status, 0) + 1
    profiler.disable()
    profiled = (time.perf_counter() - started) / args.requests
    print(
        f"{args.endpoint}: {1000 * plain:.2f} ms per request in-process, one at a time "
        f"({1000 * profiled:.2f} ms under the profiler); statuses {statuses}"
    )
    pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
