"""The diagnostics question on the real Tk dialog, clicked with xdotool, against a scripted server.

The agent's only proxy is a loopback port where nothing listens.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from coupdemain.agent.diagnostics.collect import PROXY_ENV_VARIABLES
from coupdemain.demo.xvfb import VirtualScreen
from coupdemain.protocol import messages as m
from coupdemain.protocol.errors import CloseReason
from tests.agent.fake_server import FakeServer
from tests.agent.test_app import AgentProcess


@pytest.fixture
def closed_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def agents() -> Iterator[list[AgentProcess]]:
    started: list[AgentProcess] = []
    yield started
    for agent in started:
        agent.stop()


async def test_the_person_allows_then_declines_reading_the_settings(
    xvfb: VirtualScreen, agents: list[AgentProcess], tmp_path: Path, closed_port: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in PROXY_ENV_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
        monkeypatch.delenv(variable.upper(), raising=False)
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{closed_port}")
    # The agent's own connection honours the proxy: the scripted server is reached directly.
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    async with FakeServer() as server:
        agent = AgentProcess(xvfb, server.url, tmp_path / "trace.json", "482913705")
        agents.append(agent)
        await agent.click(xvfb, "consent", "allow_view")
        await server.expect(m.Consent)
        await server.send(m.State("viewing"))
        await server.send(m.Peer("viewer", True))
        await agent.window("banner", "can see your screen")

        await server.send(m.DiagnosticsRequest())
        dialog = await agent.window("diagnostics")
        assert dialog["texts"][:2] == [
            "Alice Martin, Entraide Numérique, asks to read your computer's settings: system, "
            "network, programs that start with the computer, and running programs.",
            "Nothing is changed. Your documents and messages are not read.",
        ]
        assert dialog["buttons"]["allow_diagnostics"]["label"] == "Allow reading"
        await agent.click(xvfb, "diagnostics", "allow_diagnostics")
        await agent.window("banner", "Your technician is reading your network settings.")
        report = await server.expect(m.DiagnosticsReport)
        assert {"severity": "problem", "code": "proxy_unreachable",
                "params": {"proxy": f"127.0.0.1:{closed_port}", "source": "env:http_proxy"},
                } in report.findings
        assert set(report.sections) == {"system", "network", "startup", "processes"}
        assert "diagnostics" not in agent.windows()

        await server.send(m.DiagnosticsRequest())
        await agent.click(xvfb, "diagnostics", "decline_diagnostics")
        assert await server.expect(m.DiagnosticsDeclined) == m.DiagnosticsDeclined()

        await server.end("technician", int(CloseReason.ENDED_BY_TECHNICIAN))
        await agent.window("ended", "ended the session")
