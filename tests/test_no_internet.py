from __future__ import annotations

import socket

import pytest
import pytest_socket


def test_it_guards_every_connection(request: pytest.FixtureRequest) -> None:
    # pytest-socket replaces connect() so any address but loopback raises before a packet leaves;
    # checking the guard is in place avoids ever aiming a real connection at the outside world.
    assert socket.socket.connect is not pytest_socket._true_connect
    allowed = request.config.getoption("allow_hosts")
    assert allowed and set(allowed.split(",")) <= {"127.0.0.1", "::1", "localhost"}


def test_it_allows_loopback() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        socket.create_connection(server.getsockname(), timeout=1).close()
    finally:
        server.close()
