"""The console's pages in Chromium against the real server: what the technician reads.

The code page says where the person gets the program, times are in the
reader's time zone, the API's documentation shows its operations, and the
French viewer writes numbers, fits its chat field and lays out its ending
as a French reader expects.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support.server import PASSWORD, ServerProcess
from tests.web.chromium import CHROMIUM, CHROMIUM_ARGS, FIXTURES, WAIT_MS

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
ws_client = pytest.importorskip("websockets.sync.client", reason="websockets is not installed")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"the browser tests need Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_console(browser: Any, server: ServerProcess, lang: str, timezone: str = "UTC") -> Any:
    """A signed-in page at 1024x768 in the given language and time zone."""
    context = browser.new_context(viewport={"width": 1024, "height": 768},
                                  locale="fr-FR" if lang == "fr" else "en-US",
                                  timezone_id=timezone)
    page = context.new_page()
    page.goto(f"{server.url}/lang/{lang}?next=/login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.locator("#help-someone").wait_for(timeout=WAIT_MS)
    return page


def plain(text: str) -> str:
    """Text with the no-break spaces ICU and French typography use made plain."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


@pytest.mark.parametrize(("lang", "hint"), [
    ("en", "Read both to the person: they open this address in their web browser, follow the "
           "steps, then type the code."),
    ("fr", "Lisez les deux à la personne\u00a0: elle ouvre cette adresse dans son navigateur "
           "web, suit les étapes, puis tape le code."),
])
def test_the_code_page_says_where_the_person_gets_the_program(
    browser: Any, server: ServerProcess, lang: str, hint: str,
) -> None:
    page = open_console(browser, server, lang)
    try:
        page.click("#help-someone")
        page.locator("#support-code").wait_for(timeout=WAIT_MS)
        assert page.locator("#join-url").inner_text() == f"{server.url}/join"
        assert page.locator(".viewer-code-hint").inner_text() == hint
    finally:
        page.context.close()


@pytest.mark.parametrize(("lang", "timezone"), [
    ("fr", "Europe/Paris"), ("en", "America/New_York"),
])
def test_times_are_shown_in_the_browser_time_zone(
    browser: Any, server: ServerProcess, lang: str, timezone: str,
) -> None:
    page = open_console(browser, server, lang, timezone)
    try:
        page.click("#help-someone")
        page.locator("#support-code").wait_for(timeout=WAIT_MS)
        session_url = page.url

        def clock(moment: datetime, seconds: bool) -> str:
            local = moment.astimezone(ZoneInfo(timezone))
            if lang == "fr":
                return local.strftime("%H:%M:%S" if seconds else "%H:%M")
            shown = f"{local.hour % 12 or 12}:{local:%M}" + (f":{local:%S}" if seconds else "")
            return f"{shown} {'AM' if local.hour < 12 else 'PM'}"

        page.goto(server.url + "/")
        started = page.locator("#sessions time").first
        instant = datetime.fromisoformat(started.get_attribute("datetime"))
        assert instant.utcoffset() is not None
        text = plain(started.inner_text())
        assert clock(instant, seconds=False) in text and "UTC" not in text

        page.goto(session_url + "/history")
        issued = page.locator("#events tr[data-action=code_issued] time")
        instant = datetime.fromisoformat(issued.get_attribute("datetime"))
        text = plain(issued.inner_text())
        assert clock(instant, seconds=True) in text and "UTC" not in text
    finally:
        page.context.close()


def test_the_api_documentation_shows_its_operations_to_signed_in_users(
    browser: Any, server: ServerProcess,
) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="en-US")
    page = context.new_page()
    try:
        page.goto(server.url + "/api/docs")
        page.locator("#sign-in").wait_for(timeout=WAIT_MS)  # refused: sent to sign in
        assert page.url == server.url + "/login"
        page.fill("#username", "alice")
        page.fill("#password", PASSWORD)
        page.click("#sign-in")
        page.locator("#help-someone").wait_for(timeout=WAIT_MS)
        page.goto(server.url + "/api/docs")
        page.locator(".opblock", has_text="/api/sessions/{session_id}/events").wait_for(
            timeout=WAIT_MS)
        shown = page.locator("#swagger-ui").inner_text()
        assert "Api Create Session" in shown and "Api Events" in shown
        assert "/login" not in shown
    finally:
        context.close()


REPORT = {
    "sections": {"system": {"memory_used_percent": 95.5}},
    "findings": [{"severity": "warning", "code": "disk_almost_full",
                  "params": {"mount": "/", "free_gib": "2.9", "free_percent": "4.5"}}],
}


def receive_until(ws: Any, kind: str, limit: int = 20) -> dict[str, Any]:
    """The agent's first message of type `kind` (bounded in count and time)."""
    deadline = time.monotonic() + WAIT_MS / 1000
    for _ in range(limit):
        if time.monotonic() > deadline:
            break
        try:
            message: dict[str, Any] = json.loads(ws.recv(timeout=1))
        except TimeoutError:
            continue
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind!r} from the server")


def box(page: Any, selector: str) -> dict[str, float]:
    found: dict[str, float] | None = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


def test_the_french_viewer_writes_numbers_fits_its_chat_field_and_ends_in_order(
    browser: Any, server: ServerProcess,
) -> None:
    page = open_console(browser, server, "fr")
    try:
        page.click("#help-someone")
        code = page.locator("#support-code").inner_text().replace(" ", "")
        with ws_client.connect(server.ws_url + "/ws/agent", open_timeout=10) as ws:
            ws.send(json.dumps({"type": "hello", "protocol": 1, "role": "agent", "code": code,
                                "hostname": "pc-42", "user": "bob"}))
            receive_until(ws, "welcome")
            ws.send(json.dumps({"type": "consent", "decision": "allow_view"}))
            ws.send(json.dumps({"type": "screen", "width": 32, "height": 16}))
            ws.send((FIXTURES / "multi.bin").read_bytes())
            page.locator("#chat-input").wait_for(timeout=WAIT_MS)

            # The placeholder's whole text fits in the field.
            text_width, room = page.evaluate("""() => {
                const input = document.querySelector('#chat-input');
                const style = getComputedStyle(input);
                const context = document.createElement('canvas').getContext('2d');
                context.font = style.font;
                return [context.measureText(input.placeholder).width,
                        input.clientWidth - parseFloat(style.paddingLeft)
                            - parseFloat(style.paddingRight)];
            }""")
            assert text_width <= room, f"the placeholder needs {text_width}px, has {room}px"

            page.click("#diagnose")
            receive_until(ws, "diagnostics_request")
            ws.send(json.dumps({"type": "diagnostics_report", **REPORT}))
            finding = page.locator("#diagnostics-findings li").first
            finding.wait_for(timeout=WAIT_MS)
            assert plain(finding.inner_text()) == (
                "Le disque / est presque plein : 2,9 Gio libres (4,5 %). Des programmes "
                "risquent de ne plus pouvoir enregistrer.")
            assert plain(page.locator("#diagnostics-sections td").first.inner_text()) == "95,5 %"

            ws.send(json.dumps({"type": "chat", "text": "Merci !"}))
            page.locator("#chat-log li", has_text="Merci !").wait_for(timeout=WAIT_MS)
            page.click("#end-session")
            page.locator("#ended-message", has_text="Vous avez terminé la session.").wait_for(
                timeout=WAIT_MS)

        # The ending first, then what stays readable (the transcript, the diagnosis) under
        # it, centred; no field that can no longer send.
        ended = box(page, "#ended-message")
        left, right, top = page.evaluate("""() => {
            const shown = [...document.querySelector('.viewer-body').children]
                .filter((node) => !node.hidden).map((node) => node.getBoundingClientRect());
            return [Math.min(...shown.map((r) => r.left)), Math.max(...shown.map((r) => r.right)),
                    Math.min(...shown.map((r) => r.top))];
        }""")
        assert ended["y"] + ended["height"] <= top
        assert abs(left - (1024 - right)) <= 1, (left, right)
        assert page.locator("#chat-log li", has_text="Merci !").is_visible()
        assert page.locator("#chat-form").is_hidden()
    finally:
        page.context.close()
