"""The single-file agent, as a person on Linux gets it: downloaded from the join page,
run from their own folder with no Python of the project's, joined and controlled.

CI builds it first (`bash scripts/build-agent.sh`, in .ci/run); without
dist/coupdemain-help this test is skipped and says how to build it.
"""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e.conftest import Technician
from tests.e2e.flows import reach_control
from tests.e2e.harness import Agent, NotesApp, wait_for, wait_for_status
from tests.support.server import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
BUILT = ROOT / "dist" / "coupdemain-help"
LINUX_FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
WINDOWS_EDGE = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0")


@pytest.fixture
def built() -> Path:
    if not BUILT.is_file():
        pytest.skip("the single-file agent is not built: run bash scripts/build-agent.sh "
                    "(CI does, before the tests)")
    return BUILT


def download_as_a_person(browser: Browser, server: ServerProcess, folder: Path) -> Path:
    """Opens the join page as Firefox on Ubuntu would, downloads the agent, makes it
    executable (what the page's Properties step does) and checks its SHA-256."""
    context = browser.new_context(user_agent=LINUX_FIREFOX, locale="en-US",
                                  accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(server.url + "/join")
        page.locator("#agent-download").wait_for()
        assert page.locator("#agent").is_visible()
        assert page.locator("#agent-elsewhere").is_hidden()
        shown = page.locator("#agent-sha256").inner_text().strip()
        with page.expect_download() as info:
            page.click("#agent-download")
        download = info.value
        assert download.suggested_filename == "coupdemain-help"
        program = folder / "coupdemain-help"
        download.save_as(program)
    finally:
        context.close()
    assert hashlib.sha256(program.read_bytes()).hexdigest() == shown
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program


def test_the_downloaded_agent_joins_and_is_controlled(
    built: Path, browser: Browser, technician: Technician, agents: list[Agent],
    screen: VirtualScreen, server: ServerProcess, notes: NotesApp, tmp_path: Path,
) -> None:
    # The server serves the file it finds in its data folder.
    (server.data_dir / "coupdemain-help").symlink_to(built)
    downloads = tmp_path / "person" / "Downloads"
    downloads.mkdir(parents=True)
    assert not downloads.is_relative_to(ROOT)
    program = download_as_a_person(browser, server, downloads)

    # The person double-clicks it: no --server, no code; it knows the address.
    code = technician.help_someone()
    home = downloads.parent
    agent = Agent(screen, server.url, tmp_path / "ui-trace-single.json", program=program,
                  env={"HOME": str(home)})
    agents.append(agent.start())
    assert agent.process is not None
    environ = Path(f"/proc/{agent.process.pid}/environ").read_bytes().split(b"\0")
    assert not [v for v in environ if v.startswith((b"PYTHONPATH=", b"VIRTUAL_ENV="))]
    assert b"PATH=/usr/bin:/bin" in environ
    agent.window("code_prompt", timeout=60)  # the first start unpacks 150 MB
    agent.type_code(code)

    agent.window_saying("consent", "Alice Martin")
    agent.click("consent", "allow_view")
    page = technician.page
    wait_for_status(page, "View only")
    reach_control(technician, agent)

    page.focus("#screen")
    page.keyboard.type("onefile")
    wait_for(lambda: notes.state()["text"] == "onefile", "the typed text in the application")

    page.click("#end-session")
    page.locator("#ended-message", has_text="You ended the session.").wait_for()
    agent.window("ended")
    assert agent.exit_code() == 0, agent.log()

    # Next time the person finds it among their applications.
    entry = home / ".local/share/applications/coupdemain-help.desktop"
    assert f'Exec="{program}"\n' in entry.read_text(encoding="utf-8")


def test_on_windows_the_page_says_the_browser_shares_view_only(
    browser: Browser, server: ServerProcess
) -> None:
    context = browser.new_context(user_agent=WINDOWS_EDGE, locale="en-US")
    try:
        page = context.new_page()
        page.goto(server.url + "/join")
        elsewhere = page.locator("#agent-elsewhere")
        elsewhere.wait_for()
        assert page.locator("#agent").is_hidden()
        assert elsewhere.inner_text() == (
            "On this computer, share your screen from your browser: your technician will see "
            "it, but cannot use your mouse or keyboard. The coupdemain program, which allows "
            "control, exists only for Linux for now.")
    finally:
        context.close()
