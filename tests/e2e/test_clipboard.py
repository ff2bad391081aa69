"""Text clipboard both ways while the technician has control."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page

from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e.conftest import Technician, sign_in
from tests.e2e.flows import reach_control, reach_viewing
from tests.e2e.harness import Agent, NotesApp, wait_for
from tests.support.server import ServerProcess


def paste_until(page: Page, notes: NotesApp, words: str) -> None:
    """Presses Ctrl+V on the person's computer until ``words`` appear (bounded).

    The clipboard and the keys travel in order, but the agent writes its
    clipboard from its window thread: the first paste may come a moment early.
    """
    for _ in range(6):
        page.focus("#screen")
        page.keyboard.press("Control+v")
        try:
            wait_for(lambda: words in notes.state()["text"], f"{words!r} pasted", timeout=2)
            return
        except AssertionError:
            continue
    raise AssertionError(f"{words!r} was never pasted; text is {notes.state()['text']!r}")


def test_clipboard_both_ways(
    browser: Browser, server: ServerProcess, agents: list[Agent], screen: VirtualScreen,
    notes: NotesApp, tmp_path: Path,
) -> None:
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, locale="en-US",
        permissions=["clipboard-read", "clipboard-write"],
    )
    try:
        page = context.new_page()
        sign_in(page, server)
        technician = Technician(page, server)
        agent = reach_viewing(technician, agents, screen, server, tmp_path)
        assert page.locator("#clipboard").is_hidden()  # only under control
        reach_control(technician, agent)

        # Copied on the technician's computer, pasted on the person's.
        page.evaluate("navigator.clipboard.writeText('Depuis le technicien')")
        page.locator("#chat-input").focus()
        page.focus("#screen")
        page.locator("#clipboard-note", has_text="Sent").wait_for()
        paste_until(page, notes, "Depuis le technicien")

        # The panel works where the browser does not share its clipboard.
        page.fill("#clipboard-to-person", "Par la zone")
        page.click("#clipboard-send")
        paste_until(page, notes, "Par la zone")

        # Copied on the person's computer, shown to the technician.
        page.focus("#screen")
        page.keyboard.press("Control+a")
        page.keyboard.press("Control+c")
        copied = notes.state()["text"].rstrip("\n")
        wait_for(
            lambda: page.input_value("#clipboard-from-person") == copied,
            "the person's copy in the panel",
        )
        assert page.evaluate("navigator.clipboard.readText()") == copied
    finally:
        context.close()
