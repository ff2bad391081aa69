"""Remote diagnostics: the technician asks, the person allows on the real dialog, the
viewer and the session's history name the broken proxy in plain words.

The agent's proxy is a loopback port where nothing listens: no traffic leaves
this computer.
"""

from __future__ import annotations

import socket
from pathlib import Path

from coupdemain.agent.diagnostics.collect import PROXY_ENV_VARIABLES
from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e.conftest import Technician
from tests.e2e.harness import Agent, wait_for_status
from tests.support.server import ServerProcess


def test_a_diagnosis_finds_a_proxy_that_does_not_answer(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path,
) -> None:
    page = technician.page
    home = tmp_path / "home"
    home.mkdir()
    with socket.socket() as closed:
        # Bound, so nobody else takes the port, but not listening: connections are refused.
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        env = {name: "" for variable in PROXY_ENV_VARIABLES
               for name in (variable, variable.upper())}
        # The agent's own connection to the server must not go through the broken proxy.
        env.update(http_proxy=f"http://127.0.0.1:{port}", no_proxy="127.0.0.1,localhost",
                   NO_PROXY="127.0.0.1,localhost", HOME=str(home))
        code = technician.help_someone().replace(" ", "")
        agent = Agent(screen, server.url, tmp_path / "ui-trace.json", code=code, env=env).start()
        agents.append(agent)
        agent.window_saying("consent", "Alice Martin")
        agent.click("consent", "allow_view")
        wait_for_status(page, "View only")

        page.click("#diagnose")
        page.locator("#diagnostics-status",
                     has_text="Waiting for the person to allow reading the settings…").wait_for()
        dialog = agent.window("diagnostics")
        assert "asks to read your computer's settings" in dialog["texts"][0]
        agent.click("diagnostics", "allow_diagnostics")
        agent.window_saying("banner", "Your technician is reading your network settings.")

        sentence = (f"A proxy 127.0.0.1:{port} is configured but does not answer: "
                    "web pages will not load.")
        finding = page.locator("#diagnostics-findings li[data-code=proxy_unreachable]")
        finding.wait_for(timeout=30_000)
        assert finding.inner_text() == sentence
        page.locator("#diagnostics-status", has_text="What stands out").wait_for()
        proxies = page.locator("#diagnostics-sections [data-section=network] table",
                               has_text="Proxies")
        assert f"\t127.0.0.1:{port}\tno" in proxies.inner_text()  # address, answers

    page.click("#end-session")
    page.locator("#ended-message").wait_for()
    page.goto(technician.session_url + "/history")
    actions = page.locator("#events tr").evaluate_all(
        "rows => rows.map(r => r.dataset.action)")
    assert [a for a in actions if a and a.startswith("diagnostics_")] == [
        "diagnostics_requested", "diagnostics_read"]
    row = page.locator("#events tr[data-action=diagnostics_read]")
    assert row.locator("li[data-code=proxy_unreachable]").inner_text() == sentence
