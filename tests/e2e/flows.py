"""Steps that several end-to-end tests share: reach viewing, reach control."""

from __future__ import annotations

from pathlib import Path

from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e.conftest import Technician, start_agent
from tests.e2e.harness import Agent, wait_for, wait_for_status
from tests.e2e.pictures import Wire
from tests.support.server import ServerProcess


def reach_viewing(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path,
) -> Agent:
    code = technician.help_someone()
    agent = start_agent(agents, screen, server, tmp_path, code=code.replace(" ", ""))
    agent.window_saying("consent", "Alice Martin")
    agent.click("consent", "allow_view")
    wait_for_status(technician.page, "View only")
    return agent


def reach_control(technician: Technician, agent: Agent) -> None:
    technician.page.click("#request-control")
    wait_for_status(technician.page, "Waiting for the person to allow control")
    agent.window("control")
    agent.click("control", "allow_control")
    wait_for_status(technician.page, "You have control")


def reach_viewing_watched(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path,
) -> tuple[Wire, list[int]]:
    """Reaches viewing with the technician's WebSocket watched; returns the
    watcher and the encodings the viewer said it paints."""
    wire = Wire(technician.page)
    reach_viewing(technician, agents, screen, server, tmp_path)
    said = wait_for(lambda: wire.said, "the viewer to say what it paints")
    return wire, said[-1]
