"""Fixtures of the end-to-end tests: a real server, a virtual screen with the
notes application, the agent, and the console in headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e.harness import CHROMIUM_ARGS, Agent, NotesApp
from tests.support.server import PASSWORD, ServerProcess

CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.e2e


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    if not Path(CHROMIUM).exists():
        missing.append(CHROMIUM)
    if missing:
        # CI installs these (scripts/setup.sh --test); a bare laptop may not have them.
        skip = pytest.mark.skip(reason=f"end-to-end tests need {', '.join(missing)}")
        for item in items:
            if "tests/e2e/" in str(item.fspath):
                item.add_marker(skip)


# Module scope, not session: Playwright's sync API keeps an event loop running
# in this thread while it is open, which the asyncio tests of other folders
# cannot share.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def screen() -> Iterator[VirtualScreen]:
    with VirtualScreen(1280, 800) as screen:
        yield screen


@pytest.fixture
def notes(screen: VirtualScreen, tmp_path: Path) -> Iterator[NotesApp]:
    app = NotesApp(screen, tmp_path / "notes.json")
    yield app
    app.stop()


@pytest.fixture
def run_window(screen: VirtualScreen, tmp_path: Path) -> Iterator[Callable[..., None]]:
    """Starts a small Tk program on the person's screen: ``run_window(source, *args)``.

    Every program started is killed at the end of the test.
    """
    started: list[subprocess.Popen[bytes]] = []

    def start(source: str, *args: str) -> None:
        script = tmp_path / f"window{len(started)}.py"
        script.write_text(source, encoding="utf-8")
        started.append(subprocess.Popen([sys.executable, str(script), *args], env=screen.env()))

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


@pytest.fixture
def agents(screen: VirtualScreen, server: ServerProcess, tmp_path: Path) -> Iterator[list[Agent]]:
    """Agents started by a test; each is killed at the end if still running."""
    started: list[Agent] = []
    yield started
    for agent in started:
        agent.stop()


@dataclass
class Technician:
    page: Page
    server: ServerProcess
    code: str = ""
    session_url: str = ""

    def help_someone(self) -> str:
        self.page.goto(self.server.url + "/")
        self.page.click("#help-someone")
        code = self.page.locator("#support-code")
        code.wait_for()
        self.code = code.inner_text().strip()
        self.session_url = self.page.url
        return self.code


def sign_in(page: Page, server: ServerProcess, username: str = "alice") -> None:
    page.goto(server.url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.locator("#help-someone").wait_for()


@pytest.fixture
def technician(browser: Browser, server: ServerProcess) -> Iterator[Technician]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    sign_in(page, server)
    yield Technician(page, server)
    context.close()


def start_agent(
    agents: list[Agent], screen: VirtualScreen, server: ServerProcess, tmp_path: Path,
    code: str | None = None, language: str = "en",
) -> Agent:
    agent = Agent(screen, server.url, tmp_path / f"ui-trace-{len(agents)}.json", code=code,
                  language=language).start()
    agents.append(agent)
    return agent
