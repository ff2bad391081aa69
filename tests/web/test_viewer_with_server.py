"""The viewer against the real server, with a scripted agent instead of a person.

Proves the page contract end to end without Xvfb: the server renders the
session page, main.js reaches its WebSocket, and what the technician does
arrives at the agent as protocol messages (tests/e2e does the same with a
real agent and a real screen).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import PASSWORD, ServerProcess
from tests.web.chromium import CHROMIUM, CHROMIUM_ARGS, FIXTURES, WAIT_MS

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
ws_client = pytest.importorskip("websockets.sync.client", reason="websockets is not installed")


@pytest.fixture
def page(server: ServerProcess) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"the browser tests need Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800}, locale="en-US")
            page.goto(server.url + "/login")
            page.fill("#username", "alice")
            page.fill("#password", PASSWORD)
            page.click("#sign-in")
            page.locator("#help-someone").wait_for(timeout=WAIT_MS)
            yield page
        finally:
            browser.close()


def receive_until(ws: Any, kind: str, limit: int = 20) -> list[dict[str, Any]]:
    """The agent's messages up to the first of type `kind` (bounded in count and time)."""
    received: list[dict[str, Any]] = []
    deadline = time.monotonic() + WAIT_MS / 1000
    while len(received) < limit and time.monotonic() < deadline:
        try:
            message = json.loads(ws.recv(timeout=1))
        except TimeoutError:
            continue
        received.append(message)
        if message["type"] == kind:
            return received
    raise AssertionError(f"no {kind!r} among {received}")


def wait_status(page: Any, words: str) -> None:
    page.locator("#status", has_text=words).wait_for(timeout=WAIT_MS)


def test_the_session_page_drives_a_scripted_agent(page: Any, server: ServerProcess) -> None:
    page.click("#help-someone")
    page.locator("#support-code").wait_for(timeout=WAIT_MS)
    code = page.locator("#support-code").inner_text().strip()
    wait_status(page, "Give the person this code. It works once, for 10 minutes.")

    with ws_client.connect(server.ws_url + "/ws/agent", open_timeout=10) as ws:
        ws.send(json.dumps({"type": "hello", "protocol": 1, "role": "agent",
                            "code": code.replace(" ", ""), "hostname": "pc-42", "user": "bob"}))
        receive_until(ws, "welcome")
        wait_status(page, "Waiting for the person to allow viewing…")
        ws.send(json.dumps({"type": "consent", "decision": "allow_view"}))
        wait_status(page, "View only")
        assert page.locator("#person").inner_text() == "bob on pc-42"

        ws.send(json.dumps({"type": "screen", "width": 32, "height": 16}))
        ws.send((FIXTURES / "multi.bin").read_bytes())
        acks = [m for m in receive_until(ws, "frame_ack") if m["type"] == "frame_ack"]
        assert acks == [{"type": "frame_ack", "frame_id": 0xFFFFFFFE}]
        pixel = page.evaluate("""() => Array.from(document.querySelector('#screen')
            .getContext('2d').getImageData(7, 7, 1, 1).data.slice(0, 3))""")
        assert pixel == [179, 38, 30]

        page.click("#request-control")
        receive_until(ws, "control_request")
        ws.send(json.dumps({"type": "control_decision", "decision": "allow_control"}))
        wait_status(page, "You have control")
        page.focus("#screen")
        page.keyboard.press("r")
        keys = [m for m in receive_until(ws, "key", limit=40) if m["type"] == "key"]
        assert keys == [{"type": "key", "code": "KeyR", "key": "r", "down": True}]

        page.click("#end-session")
        page.locator("#ended-message", has_text="You ended the session.").wait_for(
            timeout=WAIT_MS
        )
        assert receive_until(ws, "ended")[-1] == {"type": "ended", "by": "technician",
                                                  "reason": 4000}

    # A reloaded page still says how the session ended.
    page.reload()
    page.locator("#ended-message", has_text="You ended the session.").wait_for(timeout=WAIT_MS)
