"""The viewer in a real browser, without a server.

A local static server (127.0.0.1, a thread) serves the repository, so that
Chromium loads web/viewer's modules exactly as the server would serve them.
Two kinds of page:

- a paint page that imports display.js and protocol.js and paints the
  golden frames of tests/fixtures/encodings onto a canvas: the decoders'
  pixels, checked with getImageData;
- the session page (as console/templates/session.html renders it) with
  main.js, where a scripted WebSocket plays the server: the page contract,
  the sentences, the buttons and the input messages.

No assertion is about timing; waits are for conditions.
"""

from __future__ import annotations

import functools
import html
import json
import re
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.web.chromium import CHROMIUM, CHROMIUM_ARGS, FIXTURES, WAIT_MS

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

ROOT = Path(__file__).resolve().parents[2]

PAINT_PAGE = """<!doctype html>
<meta charset="utf-8">
<canvas id="screen"></canvas>
<script type="module">
  import { Display } from "/web/viewer/display.js";
  import { parseFrame } from "/web/viewer/protocol.js";

  // Paints one golden frame on a fresh screen; answers its RGB pixels, row by row.
  window.paintFixture = async (name, width, height) => {
    const canvas = document.getElementById("screen");
    canvas.width = 0;
    const display = new Display(canvas);
    display.resize(width, height);
    const data = await (await fetch(`/tests/fixtures/encodings/${name}.bin`)).arrayBuffer();
    await display.receiveFrame(parseFrame(data));
    const rgba = canvas.getContext("2d").getImageData(0, 0, width, height).data;
    const rgb = [];
    for (let i = 0; i < rgba.length; i += 4) rgb.push(rgba[i], rgba[i + 1], rgba[i + 2]);
    return rgb;
  };
  // Paints golden frames one after the other on one screen (a video stream).
  window.paintSequence = async (names, width, height) => {
    const canvas = document.getElementById("screen");
    canvas.width = 0;
    const display = new Display(canvas);
    display.resize(width, height);
    for (const name of names) {
      const data = await (await fetch(`/tests/fixtures/encodings/${name}.bin`)).arrayBuffer();
      await display.receiveFrame(parseFrame(data));
    }
    const rgba = canvas.getContext("2d").getImageData(0, 0, width, height).data;
    const rgb = [];
    for (let i = 0; i < rgba.length; i += 4) rgb.push(rgba[i], rgba[i + 1], rgba[i + 2]);
    return rgb;
  };
  window.paintReady = true;
</script>
"""

# What the server's session page holds (console/templates/session.html).
SESSION_PAGE = """<!doctype html>
<html lang="{lang}">
<head>
  <meta charset="utf-8">
  <link rel="stylesheet" href="/web/console/console.css">
  <link rel="stylesheet" href="/web/viewer/viewer.css">
</head>
<body>
  <header class="top"><a class="brand" href="/">coupdemain</a></header>
  <main id="viewer" class="viewer-page"
        data-session-id="s1" data-ws-url="/ws/viewer/s1" data-lang="{lang}"
        data-code="{code}" data-code-expires-at="{expires}"
        data-catalog-url="/src/coupdemain/i18n/locales/{lang}/viewer.json"></main>
  <script type="module" src="/web/viewer/main.js"></script>
</body>
</html>
"""

# Replaces WebSocket before the page's scripts run: the test plays the server.
FAKE_WEBSOCKET = """
window.sockets = [];
class ScriptedWebSocket {
  constructor(url) {
    this.url = url; this.readyState = 0; this.sent = []; this.binaryType = "blob";
    this.onopen = this.onmessage = this.onclose = this.onerror = null;
    window.sockets.push(this);
    setTimeout(() => { this.readyState = 1; this.onopen && this.onopen({}); }, 0);
  }
  send(data) { this.sent.push(JSON.parse(data)); }
  close(code) { this.readyState = 3; this.closedWith = code; }
}
window.WebSocket = ScriptedWebSocket;
window.server = {
  get socket() { return window.sockets[window.sockets.length - 1]; },
  say(message) { this.socket.onmessage({ data: JSON.stringify(message) }); },
  async frame(name) {
    const data = await (await fetch(`/tests/fixtures/encodings/${name}.bin`)).arrayBuffer();
    this.socket.onmessage({ data });
  },
  drop(code) { const s = this.socket; s.readyState = 3; s.onclose({ code }); },
  sent() { return this.socket.sent; },
};
"""


class Handler(SimpleHTTPRequestHandler):
    """Serves the repository, and the generated pages."""

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        url = urlparse(self.path)
        if url.path == "/paint":
            self.send_page(PAINT_PAGE)
        elif url.path == "/session":
            query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            self.send_page(SESSION_PAGE.format(
                lang=html.escape(query.get("lang", "en")),
                code=html.escape(query.get("code", "")),
                expires=html.escape(query.get("expires", "0")),
            ))
        else:
            super().do_GET()

    def send_page(self, text: str) -> None:
        body = text.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(ROOT)))
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"the browser tests need Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 800}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"the page raised: {errors}"


# --- the decoders' pixels -------------------------------------------------------


@pytest.mark.parametrize("name", ["solid", "png", "jpeg", "multi", "copy"])
def test_golden_frames_paint_their_pixels(page: Any, site: str, name: str) -> None:
    expected = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    width, height = expected["screen"]["width"], expected["screen"]["height"]
    page.goto(f"{site}/paint")
    page.wait_for_function("window.paintReady === true", timeout=WAIT_MS)
    rgb = page.evaluate("([n, w, h]) => window.paintFixture(n, w, h)", [name, width, height])
    want = b"".join(bytes.fromhex(row) for row in expected["rgb_rows"])
    assert len(rgb) == len(want)
    worst = max(abs(a - b) for a, b in zip(rgb, want, strict=True))
    assert worst <= expected["tolerance"], f"{name}: a channel is off by {worst}"


@pytest.mark.parametrize("name", ["h264_key", "h264_delta"])
def test_h264_frames_decode_through_webcodecs(page: Any, site: str, name: str) -> None:
    expected = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    width, height = expected["screen"]["width"], expected["screen"]["height"]
    page.goto(f"{site}/paint")
    page.wait_for_function("window.paintReady === true", timeout=WAIT_MS)
    supported = page.evaluate("""async () => {
        const { supportedEncodings } = await import("/web/viewer/decoders/index.js");
        return supportedEncodings();
    }""")
    if 3 not in supported:
        pytest.skip("this Chromium decodes no H.264 through WebCodecs")
    names = [*expected.get("paint_after", []), name]
    rgb = page.evaluate("([n, w, h]) => window.paintSequence(n, w, h)", [names, width, height])
    want = b"".join(bytes.fromhex(row) for row in expected["rgb_rows"])
    assert len(rgb) == len(want)
    worst = max(abs(a - b) for a, b in zip(rgb, want, strict=True))
    assert worst <= expected["tolerance"], f"{name}: a channel is off by {worst}"
    # The moving square is where this frame put it (x 8-23, then 16-31):
    # the picture is this frame's, not the one before.
    pixel = {x: tuple(rgb[(16 * width + x) * 3 : (16 * width + x) * 3 + 3]) for x in (10, 28)}
    inside, outside = (28, 10) if name == "h264_delta" else (10, 28)
    assert pixel[inside][0] > 150 and pixel[inside][1] < 80, pixel
    assert pixel[outside][1] > 80, pixel


def test_a_broken_frame_is_refused_in_words(page: Any, site: str) -> None:
    page.goto(f"{site}/paint")
    page.wait_for_function("window.paintReady === true", timeout=WAIT_MS)
    message = page.evaluate("""async () => {
        const { parseFrame } = await import("/web/viewer/protocol.js");
        const url = "/tests/fixtures/encodings/unknown_encoding.bin";
        const data = await (await fetch(url)).arrayBuffer();
        try { parseFrame(data); return "parsed"; } catch (error) { return error.message; }
    }""")
    assert message == "encoding 7 is not supported by this viewer"


# --- the session page ---------------------------------------------------------------


def open_session(page: Any, site: str, *, code: str = "482913705", lang: str = "en",
                 expires: str = "") -> None:
    page.add_init_script(FAKE_WEBSOCKET)
    if expires == "":
        expires = str(page.evaluate("Date.now() / 1000") + 594) if code else "0"
    page.goto(f"{site}/session?code={code}&lang={lang}&expires={expires}")
    page.wait_for_function(
        "window.sockets.length === 1 && window.sockets[0].sent.length === 1", timeout=WAIT_MS
    )


def sent(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate("window.server.sent()"))


def wait_sent(page: Any, predicate: str) -> list[dict[str, Any]]:
    """Waits until a message matching a JS predicate on `m` was sent; answers all sent."""
    page.wait_for_function(f"window.server.sent().some((m) => {predicate})", timeout=WAIT_MS)
    return sent(page)


def say(page: Any, message: dict[str, Any]) -> None:
    page.evaluate("(m) => window.server.say(m)", message)


def status(page: Any) -> str:
    return str(page.locator("#status").inner_text())


def wait_status(page: Any, words: str) -> None:
    page.locator("#status", has_text=words).wait_for(timeout=WAIT_MS)


def page_point(page: Any, x: int, y: int) -> tuple[float, float]:
    """Where remote pixel (x, y) is drawn (as tests/e2e/harness.py computes it)."""
    point = page.evaluate("""([x, y]) => {
        const c = document.querySelector('#screen');
        const r = c.getBoundingClientRect();
        const scale = Math.min(r.width / c.width, r.height / c.height);
        const ox = r.left + (r.width - c.width * scale) / 2;
        const oy = r.top + (r.height - c.height * scale) / 2;
        return [ox + (x + 0.5) * scale, oy + (y + 0.5) * scale];
    }""", [x, y])
    return float(point[0]), float(point[1])


def test_waiting_for_the_person_shows_the_code_and_its_countdown(page: Any, site: str) -> None:
    open_session(page, site)
    assert sent(page) == [{"type": "hello", "protocol": 1, "role": "viewer"}]
    say(page, {"type": "state", "state": "waiting_for_person"})
    wait_status(page, "Give the person this code. It works once, for 10 minutes.")
    assert page.locator("#support-code").inner_text().strip() == "482 913 705"
    assert re.fullmatch(r"\d{1,2}:\d{2}", page.locator("#countdown").inner_text().strip())
    assert page.locator("#end-session").is_visible()
    assert not page.locator("#request-control").is_visible()
    assert not page.locator("#screen").is_visible()


def test_an_expired_countdown_says_so(page: Any, site: str) -> None:
    open_session(page, site, expires="1000")
    say(page, {"type": "state", "state": "waiting_for_person"})
    page.locator("#countdown", has_text="The code has expired.").wait_for(timeout=WAIT_MS)


def test_a_reloaded_page_says_the_code_was_shown(page: Any, site: str) -> None:
    open_session(page, site, code="")
    say(page, {"type": "state", "state": "waiting_for_person"})
    page.locator("#support-code", has_text="The code was shown when it was made.").wait_for(
        timeout=WAIT_MS
    )


def test_viewing_paints_acknowledges_and_offers_control(page: Any, site: str) -> None:
    open_session(page, site)
    say(page, {"type": "state", "state": "waiting_for_consent"})
    wait_status(page, "Waiting for the person to allow viewing…")
    assert not page.locator("#support-code").is_visible()
    say(page, {"type": "state", "state": "viewing", "person_user": "alice",
               "person_hostname": "pc-42"})
    wait_status(page, "View only")
    assert page.locator("#person").inner_text() == "alice on pc-42"
    say(page, {"type": "screen", "width": 32, "height": 16})
    page.evaluate("window.server.frame('multi')")
    messages = wait_sent(page, "m.type === 'frame_ack'")
    assert {"type": "frame_ack", "frame_id": 0xFFFFFFFE} in messages
    assert {"type": "keyframe_request"} in messages
    # The last rect painted (solid red, 4×4 at 6,6) lies over the PNG.
    pixel = page.evaluate("""() => Array.from(document.querySelector('#screen')
        .getContext('2d').getImageData(7, 7, 1, 1).data.slice(0, 3))""")
    assert pixel == [179, 38, 30]
    size = page.evaluate("(c => [c.width, c.height])(document.querySelector('#screen'))")
    assert size == [32, 16]
    # Typing while only viewing sends nothing.
    page.focus("#screen")
    page.keyboard.type("x")
    page.click("#request-control")
    messages = wait_sent(page, "m.type === 'request_control'")
    assert not [m for m in messages if m["type"] == "key"]
    say(page, {"type": "state", "state": "control_requested"})
    wait_status(page, "Waiting for the person to allow control…")
    assert page.locator("#request-control").is_disabled()


def reach_control(page: Any, site: str) -> None:
    open_session(page, site)
    say(page, {"type": "state", "state": "controlling"})
    say(page, {"type": "screen", "width": 32, "height": 16})
    page.evaluate("window.server.frame('png')")
    wait_status(page, "You have control")
    wait_sent(page, "m.type === 'frame_ack'")


def test_keys_reach_the_agent_and_not_the_page(page: Any, site: str) -> None:
    reach_control(page, site)
    page.focus("#screen")
    page.keyboard.press("Control+a")
    page.keyboard.press("Tab")
    page.keyboard.press("Backspace")
    page.keyboard.press("ArrowLeft")
    messages = wait_sent(page, "m.type === 'key' && m.code === 'ArrowLeft' && !m.down")
    keys = [(m["code"], m["key"], m["down"]) for m in messages if m["type"] == "key"]
    assert keys == [
        ("ControlLeft", "Control", True), ("KeyA", "a", True), ("KeyA", "a", False),
        ("ControlLeft", "Control", False),
        ("Tab", "Tab", True), ("Tab", "Tab", False),
        ("Backspace", "Backspace", True), ("Backspace", "Backspace", False),
        ("ArrowLeft", "ArrowLeft", True), ("ArrowLeft", "ArrowLeft", False),
    ]
    # Tab was kept from the page: the canvas still has the focus.
    assert page.evaluate("document.activeElement.id") == "screen"


def test_a_held_key_is_released_when_control_ends(page: Any, site: str) -> None:
    reach_control(page, site)
    page.focus("#screen")
    page.keyboard.down("ShiftLeft")
    wait_sent(page, "m.type === 'key' && m.down")
    page.click("#release-control")
    messages = wait_sent(page, "m.type === 'release_control'")
    order = [m["type"] if m["type"] != "key" else f"key {m['down']}" for m in messages]
    assert order.index("key False") < order.index("release_control")
    page.keyboard.up("ShiftLeft")


def test_clicks_land_on_the_remote_pixel_through_the_scaling(page: Any, site: str) -> None:
    reach_control(page, site)
    x, y = page_point(page, 20, 10)
    page.mouse.click(x, y)
    messages = wait_sent(page, "m.type === 'pointer' && m.buttons === 0")
    pointers = [(m["x"], m["y"], m["buttons"]) for m in messages if m["type"] == "pointer"]
    assert (20, 10, 1) in pointers
    assert pointers[pointers.index((20, 10, 1)) + 1] == (20, 10, 0)
    x, y = page_point(page, 31, 15)
    page.mouse.click(x, y, button="right")
    messages = wait_sent(page, "m.type === 'pointer' && m.buttons === 2")
    assert {"type": "pointer", "x": 31, "y": 15, "buttons": 2} in messages
    page.mouse.wheel(0, 100)
    messages = wait_sent(page, "m.type === 'wheel'")
    assert {"type": "wheel", "x": 31, "y": 15, "dx": 0, "dy": 1} in messages


def test_ending_says_who_ended_and_why(page: Any, site: str) -> None:
    reach_control(page, site)
    page.click("#end-session")
    wait_sent(page, "m.type === 'end'")
    say(page, {"type": "ended", "by": "technician", "reason": 4000})
    page.evaluate("window.server.drop(1000)")
    page.locator("#ended-message", has_text="You ended the session.").wait_for(timeout=WAIT_MS)
    assert page.locator("#back-to-console").get_attribute("href") == "/"
    assert page.locator("#back-to-console").inner_text() == "Back to the console"
    # Once over, the technician writes the report for the person.
    report = page.locator("#write-report")
    assert report.inner_text() == "Write the report for the person"
    assert report.get_attribute("href").startswith("/sessions/")
    assert report.get_attribute("href").endswith("/report")
    assert status(page) == "The session has ended."
    for button in ("#request-control", "#release-control", "#end-session"):
        assert not page.locator(button).is_visible()
    assert page.evaluate("window.sockets.length") == 1


def test_opened_in_another_tab_is_final(page: Any, site: str) -> None:
    open_session(page, site)
    say(page, {"type": "state", "state": "viewing"})
    page.evaluate("window.server.drop(4032)")
    page.locator("#ended-message", has_text="This session was opened in another tab.").wait_for(
        timeout=WAIT_MS
    )
    assert page.evaluate("window.sockets.length") == 1


def test_a_lost_connection_reconnects(page: Any, site: str) -> None:
    open_session(page, site)
    say(page, {"type": "state", "state": "viewing"})
    page.evaluate("window.server.drop(1006)")
    wait_status(page, "Connection to the server lost. Reconnecting…")
    page.wait_for_function(
        "window.sockets.length === 2 && window.sockets[1].sent.length === 1", timeout=WAIT_MS
    )
    assert sent(page) == [{"type": "hello", "protocol": 1, "role": "viewer"}]
    say(page, {"type": "state", "state": "viewing"})
    wait_status(page, "View only")


def test_french(page: Any, site: str) -> None:
    open_session(page, site, lang="fr")
    say(page, {"type": "state", "state": "viewing", "paused": True})
    wait_status(page, "La personne a mis le partage d'écran en pause.")
    assert page.locator("#end-session").inner_text() == "Terminer la session"
    say(page, {"type": "ended", "by": "person", "reason": 4002})
    page.locator("#ended-message", has_text="La personne a refusé.").wait_for(timeout=WAIT_MS)
