"""Against scams: the first time a computer meets an organisation, the person
is warned before anything is asked; *Report a problem* ends the session and
the organisation's admins see it in the console."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e.conftest import Technician, sign_in
from tests.e2e.harness import Agent, wait_for, wait_for_status
from tests.support.server import ServerProcess

WARNING_SECONDS = "2"  # the countdown, short but still seen disabled
SHOTS = os.environ.get("COUPDEMAIN_SHOTS", "")  # where to save the console's pictures, if set


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "server")
    process.create_user("alice", "Alice Martin", "Entraide Numérique")
    process.create_user("rose", "Rose Admin", "Entraide Numérique", role="admin")
    process.start()
    try:
        yield process
    finally:
        process.stop()


def stranger(agents: list[Agent], screen: VirtualScreen, server: ServerProcess, tmp_path: Path,
             code: str, config: Path) -> Agent:
    """An agent on a computer that never met the organisation (its config folder: ``config``)."""
    agent = Agent(screen, server.url, tmp_path / f"ui-trace-{len(agents)}.json",
                  code=code.replace(" ", ""), met=(),
                  env={"COUPDEMAIN_WARNING_SECONDS": WARNING_SECONDS,
                       "XDG_CONFIG_HOME": str(config)}).start()
    agents.append(agent)
    return agent


def test_report_a_problem_ends_the_session_and_the_admins_see_it(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path, browser: Browser,
) -> None:
    code = technician.help_someone()
    agent = stranger(agents, screen, server, tmp_path, code, tmp_path / "config")
    warning = agent.window_saying("warning", "Entraide Numérique, on 127.0.0.1")
    assert "Nobody legitimate calls you unexpectedly to ask for a code." in warning["texts"]
    assert "consent" not in agent.windows()
    agent.click("warning", "report")
    # The technician reads the end in words; the person is told nothing was shared.
    technician.page.locator(
        "#ended-message", has_text="The person reported a problem and ended the session before "
        "sharing anything.").wait_for()
    agent.window_saying("ended", "You reported a problem, so the session ended. Nothing was "
                        "shared, and the organisation's administrators will see your report.")
    assert "consent" not in agent.windows()
    # Nothing was remembered: the warning comes again next time.
    assert not (tmp_path / "config" / "coupdemain" / "organisations.json").exists()

    # An admin of the organisation sees the flag in the console.
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    try:
        page = context.new_page()
        sign_in(page, server, "rose")
        page.locator("#reported-banner", has_text="Sessions reported by the person: 1.").wait_for()
        row = page.locator("#sessions tbody tr").first
        assert "Reported by the person" in row.inner_text()
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / "console-index-reported.png"))
        row.locator("a", has_text="History").click()
        page.locator("#reported-flag", has_text="Reported by the person").wait_for()
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / "console-history-reported.png"))
        assert "The person reported a problem" in page.locator("#events").inner_text()
    finally:
        context.close()


def test_continue_after_the_countdown_then_the_organisation_is_known(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path,
) -> None:
    config = tmp_path / "config"
    agent = stranger(agents, screen, server, tmp_path, technician.help_someone(), config)
    first = agent.window("warning")
    assert first["continue_enabled"] is False  # the countdown runs
    wait_for(lambda: agent.windows().get("warning", {}).get("continue_enabled"),
             "Continue to be enabled")
    agent.click("warning", "continue")
    agent.window_saying("consent", "Alice Martin")
    agent.click("consent", "allow_view")
    wait_for_status(technician.page, "View only")
    agent.click("banner", "end_session")
    assert agent.exit_code() == 0

    # The same computer, the same organisation: the question comes straight away.
    again = stranger(agents, screen, server, tmp_path, technician.help_someone(), config)
    again.window_saying("consent", "Alice Martin")
    assert "warning" not in again.windows()
