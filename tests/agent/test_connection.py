from __future__ import annotations

import socket

import pytest

from coupdemain.agent.connection import AgentConnection, InsecureServer, websocket_url
from coupdemain.protocol import messages as m
from tests.agent.fake_server import FakeServer


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("https://help.example.org", "wss://help.example.org/ws/agent"),
        ("https://help.example.org:8443/", "wss://help.example.org:8443/ws/agent"),
        ("https://example.org/coupdemain", "wss://example.org/coupdemain/ws/agent"),
        ("http://127.0.0.1:8000", "ws://127.0.0.1:8000/ws/agent"),
        ("http://127.8.9.10:8000", "ws://127.8.9.10:8000/ws/agent"),
        ("http://localhost:8000", "ws://localhost:8000/ws/agent"),
        ("http://[::1]:8000", "ws://[::1]:8000/ws/agent"),
    ],
)
def test_websocket_url(server: str, expected: str) -> None:
    assert websocket_url(server) == expected


@pytest.mark.parametrize(
    "server", ["http://help.example.org", "http://192.168.1.5:8000", "http://[2001:db8::1]"]
)
def test_plain_http_elsewhere_is_refused(server: str) -> None:
    with pytest.raises(InsecureServer):
        websocket_url(server)


def test_plain_http_elsewhere_when_allowed() -> None:
    assert websocket_url("http://192.168.1.5:8000", True) == "ws://192.168.1.5:8000/ws/agent"


@pytest.mark.parametrize("server", ["ftp://example.org", "example.org", ""])
def test_not_a_server_address(server: str) -> None:
    with pytest.raises(ValueError, match="must start with https://"):
        websocket_url(server)


async def test_a_broken_proxy_does_not_keep_help_away(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy on a loopback port where nothing listens, as a broken setting would be.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = closed.getsockname()[1]
    for variable in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{dead}")
    monkeypatch.setenv("all_proxy", f"http://127.0.0.1:{dead}")
    async with FakeServer() as server:
        hello = m.Hello(protocol=1, role="agent", code="482913705")
        connection, welcome = await AgentConnection.open(websocket_url(server.url), hello)
        await connection.close()
    assert welcome.technician_name == "Alice Martin"
