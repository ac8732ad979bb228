"""deploy/nginx/hashrally.conf, run: Debian's nginx with a self-signed certificate in front of
two `hashrally serve` processes in production mode. A join goes through, a public page is
served from nginx's cache after the first request, plain HTTP is redirected to HTTPS, and the
page goes on being served when both app servers are gone."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.fakes import ROOT, free_port, subprocess_database_url
from tests.supporters.fakes import JOIN, SLUG

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = [
    pytest.mark.skipif(NGINX is None, reason="needs Debian's nginx (`make test` installs it)"),
    pytest.mark.django_db(transaction=True),
]
CONFIG = ROOT / "deploy" / "nginx" / "hashrally.conf"


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextlib.contextmanager
def app_server(folder: Path, port: int, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    log = folder / f"serve-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "hashrally", "serve"],
        cwd=ROOT,
        env={**os.environ, **env, "HASHRALLY_BIND": f"127.0.0.1:{port}"},
        stderr=log.open("w"),
        stdout=subprocess.DEVNULL,
        # Its own process group: killing it kills gunicorn's workers too, as a lost machine.
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def test_it_serves_hashrally_through_nginx_with_tls(campaigns: list[str], tmp_path: Path) -> None:
    https, http = free_port(), free_port()
    apps = [free_port(), free_port()]
    origin = f"https://127.0.0.1:{https}"
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": subprocess_database_url(),
        "HASHRALLY_VAR_DIR": str(tmp_path / "var"),
        "HASHRALLY_SITE_URL": origin,
        "HASHRALLY_ALLOWED_HOSTS": "127.0.0.1",
        "HASHRALLY_CSRF_TRUSTED_ORIGINS": origin,
        "HASHRALLY_PROXY_SSL_HEADER": "1",
        "HASHRALLY_CLIENT_IP_HEADER": "HTTP_X_REAL_IP",
        "HASHRALLY_RATELIMIT": "0",
        "HASHRALLY_WEB_WORKERS": "1",
        "HASHRALLY_WEB_THREADS": "2",
    }
    cert, key = self_signed(tmp_path)
    site = CONFIG.read_text()
    for old, new in [
        ("server 127.0.0.1:8001", f"server 127.0.0.1:{apps[0]}"),
        ("server 127.0.0.1:8002", f"server 127.0.0.1:{apps[1]}"),
        ("/var/cache/nginx/hashrally", str(tmp_path / "cache")),
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("campaign.example.org", "127.0.0.1"),
        ("/etc/ssl/hashrally/fullchain.pem", str(cert)),
        ("/etc/ssl/hashrally/privkey.pem", str(key)),
    ]:
        assert old in site, old
        site = site.replace(old, new)
    (tmp_path / "hashrally.conf").write_text(site)
    temp = tmp_path / "nginx-temp"
    temp.mkdir()
    (tmp_path / "nginx.conf").write_text(
        f"""
        user root;
        pid {tmp_path}/nginx.pid;
        error_log {tmp_path}/nginx-error.log;
        events {{}}
        http {{
            access_log off;
            client_body_temp_path {temp}/body;
            proxy_temp_path {temp}/proxy;
            fastcgi_temp_path {temp}/fastcgi;
            uwsgi_temp_path {temp}/uwsgi;
            scgi_temp_path {temp}/scgi;
            include {tmp_path}/hashrally.conf;
        }}
        """
    )
    assert NGINX is not None
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(app_server(tmp_path, port, env)) for port in apps]
        nginx = subprocess.Popen(
            [NGINX, "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
            stderr=(tmp_path / "nginx.out").open("w"),
        )
        stack.callback(nginx.wait, timeout=20)
        stack.callback(nginx.send_signal, signal.SIGQUIT)
        trusted = ssl.create_default_context(cafile=str(cert))
        client = httpx.Client(base_url=origin, verify=trusted, timeout=10)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.get("/healthz")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, (tmp_path / "nginx-error.log").read_text()
                time.sleep(0.2)

        # Plain HTTP is sent to HTTPS.
        plain = httpx.get(f"http://127.0.0.1:{http}{JOIN}")
        assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")

        # The public page: from the app, then from nginx's cache.
        page = f"/c/{SLUG}/?lang=en&v=0"
        first = client.get(page)
        assert first.status_code == 200 and "<h1>" in first.text
        second = client.get(page)
        assert second.headers["X-Cache-Status"] == "HIT"
        # Cached per interface language: a Russian browser never gets the English copy.
        bare = f"/c/{SLUG}/?v=0"
        for _ in range(2):
            english = client.get(bare, headers={"Accept-Language": "en"})
            russian = client.get(bare, headers={"Accept-Language": "ru"})
            assert '<html lang="en"' in english.text and '<html lang="ru"' in russian.text
        assert russian.headers["X-Cache-Status"] == "HIT"

        # A join over HTTPS, with the CSRF check against the https origin.
        form = client.get(JOIN)
        assert form.headers["X-Cache-Status"] in ("MISS", "BYPASS", "EXPIRED")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert token
        joined = client.post(
            JOIN,
            data={"csrfmiddlewaretoken": token.group(1), "country": "AZ", "consent": "on"},
            headers={"Referer": origin + JOIN},
        )
        assert joined.status_code == 303, joined.text[:1000]
        from hashrally.supporters.models import Supporter

        assert Supporter.objects.count() == 1

        # One app server killed (kill -9): every request, joins included, goes to the other.
        os.killpg(servers[0].pid, signal.SIGKILL)
        servers[0].wait(timeout=30)
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{apps[0]}/healthz", timeout=2)
        statuses = []
        for _ in range(6):
            visitor = httpx.Client(base_url=origin, verify=trusted, timeout=10)
            form = visitor.get(JOIN)
            found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
            assert form.status_code == 200 and found
            statuses.append(
                visitor.post(
                    JOIN,
                    data={"csrfmiddlewaretoken": found.group(1), "country": "TR", "consent": "on"},
                    headers={"Referer": origin + JOIN},
                ).status_code
            )
        assert statuses == [303] * 6 and Supporter.objects.count() == 7
        assert client.get("/readyz").status_code == 200

        # Both app servers gone: the page is still served, from nginx's last copy.
        servers[1].send_signal(signal.SIGTERM)
        servers[1].wait(timeout=30)
        time.sleep(1)
        during = client.get(page)
        assert during.status_code == 200 and during.headers["X-Cache-Status"] in ("STALE", "HIT")
        assert during.text == first.text
