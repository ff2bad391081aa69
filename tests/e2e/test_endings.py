"""Every way a session ends or narrows, and what each side is told."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e.conftest import Technician, start_agent
from tests.e2e.flows import reach_control, reach_viewing
from tests.e2e.harness import Agent, NotesApp, wait_for, wait_for_status
from tests.support.server import ServerProcess, serving

AGENT_GRACE = "5"  # seconds the server waits for a lost agent; 60 by default


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """The usual server, with a short grace for a lost agent."""
    with serving(tmp_path / "server", {"COUPDEMAIN_AGENT_GRACE_SECONDS": AGENT_GRACE}) as process:
        yield process


def test_person_declines(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path,
) -> None:
    code = technician.help_someone()
    agent = start_agent(agents, screen, server, tmp_path, code=code)
    agent.window_saying("consent", "Alice Martin")
    agent.click("consent", "decline")
    technician.page.locator("#ended-message", has_text="The person declined.").wait_for()
    assert agent.exit_code() == 0


def test_person_keeps_view_only_then_stops_control(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, notes: NotesApp, tmp_path: Path,
) -> None:
    page = technician.page
    agent = reach_viewing(technician, agents, screen, server, tmp_path)
    page.click("#request-control")
    agent.window("control")
    agent.click("control", "keep_view_only")
    wait_for_status(page, "View only")

    reach_control(technician, agent)
    agent.click("banner", "stop_control")
    wait_for_status(page, "View only")
    # Keys typed now never reach the application.
    page.focus("#screen")
    page.keyboard.type("zzz")
    page.click("#request-control")  # a round trip through the server and the agent
    agent.window("control")
    assert "z" not in notes.state()["text"]


def test_person_ends_from_the_banner(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path,
) -> None:
    agent = reach_viewing(technician, agents, screen, server, tmp_path)
    agent.click("banner", "end_session")
    technician.page.locator(
        "#ended-message", has_text="The person ended the session."
    ).wait_for()
    assert agent.exit_code() == 0


def test_person_pauses_and_resumes(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path,
) -> None:
    agent = reach_viewing(technician, agents, screen, server, tmp_path)
    agent.click("banner", "pause")
    wait_for_status(technician.page, "The person paused screen sharing.")
    agent.window("banner")
    wait_for(lambda: "resume" in agent.windows()["banner"]["buttons"], "the Resume button")
    agent.click("banner", "resume")
    wait_for_status(technician.page, "View only")


def test_agent_killed_mid_session(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path,
) -> None:
    agent = reach_viewing(technician, agents, screen, server, tmp_path)
    assert agent.process is not None
    agent.process.send_signal(signal.SIGKILL)
    # A drop may be the network: the session waits for the computer to come back...
    wait_for_status(technician.page, "The person's computer is reconnecting…")
    assert technician.page.locator("#request-control").is_disabled()
    # ...and ends once the server's grace period (AGENT_GRACE here) is over.
    technician.page.locator(
        "#ended-message", has_text="The person's computer disconnected."
    ).wait_for()


def test_browser_tab_closed(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path,
) -> None:
    agent = reach_viewing(technician, agents, screen, server, tmp_path)
    reach_control(technician, agent)
    technician.page.close()
    # The person is told in words, and control is gone with the technician.
    banner = agent.window_saying("banner", "connection")
    assert "stop_control" not in banner["buttons"]
