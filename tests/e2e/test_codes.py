"""Codes the person gets wrong, late, or too often."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser

from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e.conftest import Technician, sign_in, start_agent
from tests.e2e.harness import Agent
from tests.support.server import ServerProcess


def test_wrong_code_then_right_code(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path,
) -> None:
    code = technician.help_someone()
    agent = start_agent(agents, screen, server, tmp_path)
    agent.window("code_prompt")
    agent.type_code("111 111 111")
    agent.window_saying("code_prompt", "This code is not valid.")
    agent.type_code(code)
    agent.window_saying("consent", "Alice Martin")


def test_too_many_wrong_codes(
    agents: list[Agent], screen: VirtualScreen, server: ServerProcess, tmp_path: Path,
) -> None:
    agent = start_agent(agents, screen, server, tmp_path)
    agent.window("code_prompt")
    for attempt in range(5):
        agent.type_code(f"22222222{attempt}")
        agent.window_saying("code_prompt", "This code is not valid.")
    agent.type_code("222222229")
    agent.window_saying("code_prompt", "Too many wrong codes.")


def test_expired_code(
    browser: Browser, agents: list[Agent], screen: VirtualScreen, tmp_path: Path,
) -> None:
    server = ServerProcess(tmp_path / "short", extra_env={"COUPDEMAIN_CODE_TTL_SECONDS": "3"})
    server.create_user("alice", "Alice Martin", "Entraide Numérique")
    server.start()
    context = browser.new_context(locale="en-US")
    try:
        page = context.new_page()
        sign_in(page, server)
        technician = Technician(page, server)
        code = technician.help_someone()
        page.locator(
            "#ended-message", has_text="The code expired before the person used it."
        ).wait_for(timeout=20_000)
        agent = start_agent(agents, screen, server, tmp_path, code=code)
        agent.window_saying("code_prompt", "This code has expired.")
    finally:
        context.close()
        server.stop()


def test_the_person_sees_french(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path,
) -> None:
    code = technician.help_someone()
    agent = start_agent(agents, screen, server, tmp_path, code=code, language="fr")
    consent = agent.window_saying("consent", "Alice Martin")
    assert consent["buttons"]["allow_view"]["label"] == "Autoriser à voir mon écran"
