"""The mandate in Chromium, on pages the real server serves: the join page's
browser share (the person reads and signs) and the technician's viewer.

The join page: the real server serves it (template, catalogs, headers); its
WebSocket to /ws/agent is answered by a hand-written server side
(Playwright's ``route_web_socket``), because the server's own mandate flow
(the offer, the stored signature) is built apart and merged later. The
offer's text is the real one: ``protocol.mandate.render`` in the page's
language.

The viewer: the real server, a scripted agent (websockets) and the real
viewer socket, through a route that passes everything both ways and adds
the mandate_state messages the server will send; the viewer's
mandate_extend is kept by the test.

Screenshots at 1024x768 go to COUPDEMAIN_SHOTS when it is set.
"""

from __future__ import annotations

import base64
import io
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from coupdemain.protocol.mandate import PersonRole, Terms, Tool, digest, render
from tests.support.server import PASSWORD, ServerProcess
from tests.web.chromium import CHROMIUM, CHROMIUM_ARGS, WAIT_MS

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
ws_client = pytest.importorskip("websockets.sync.client", reason="websockets is not installed")
Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed")

SHOTS = os.environ.get("COUPDEMAIN_SHOTS", "")
LOCALES = {"en": "en-US", "fr": "fr-FR"}
TERMS = Terms(purpose="Install the printer and check that it prints.",
              tools=frozenset({Tool.VIEW, Tool.FILES_TO_TECHNICIAN}), minutes=30,
              role=PersonRole.FOLLOW_ALONG)
EXTENSION_TEXT = "More time: 15 minutes.\nAnother tool: sending files to your computer."

# What the person's page says, word for word.
JOIN_WORDS = {
    "en": {
        "heading": "Alice Martin, of Entraide Numérique, asks you to read and sign this mandate. "
                   "Nothing is shared before you sign.",
        "name_missing": "Type your name to sign.",
        "stop": "If you do not sign, the session ends and nothing is shared.",
        "signed": "Mandate signed by Jeanne Petit. It ends at ",
        "extension": "Alice Martin asks to change the mandate. What changes:",
        "not_now": "Not now",
        "refused": "You did not sign the mandate, so nothing was shared.",
    },
    "fr": {
        "heading": "Alice Martin, de Entraide Numérique, vous demande de lire et de signer "
                   "ce mandat. Rien n'est partagé avant votre signature.",
        "name_missing": "Tapez votre nom pour signer.",
        "stop": "Si vous ne signez pas, la session s'arrête et rien n'est partagé.",
        "signed": "Mandat signé par Jeanne Petit. Il se termine à ",
        "extension": "Alice Martin demande à modifier le mandat. Ce qui change :",
        "not_now": "Pas maintenant",
        "refused": "Vous n'avez pas signé le mandat : rien n'a été partagé.",
    },
}

# A screen to share without a picker: a canvas's stream, and a count of the calls.
# The panel stays in the tab (no Document Picture-in-Picture window), where the test reads it.
STUB_DISPLAY_MEDIA = """
delete window.documentPictureInPicture;
delete Window.prototype.documentPictureInPicture;
window.displayMediaCalls = 0;
if (navigator.mediaDevices) {
  navigator.mediaDevices.getDisplayMedia = async () => {
    window.displayMediaCalls += 1;
    const canvas = document.createElement("canvas");
    canvas.width = 64; canvas.height = 48;
    canvas.getContext("2d").fillRect(0, 0, 64, 48);
    return canvas.captureStream(5);
  };
}
"""


def wait_for(probe: Callable[[], Any], what: str, page: Any) -> Any:
    """Polls `probe` (bounded); Playwright hands socket events over during its own calls."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting for {what}")


def shoot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name))


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"the browser tests need Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class PersonServerSide:
    """Plays the server for the join page's /ws/agent: welcome, the offer, the states."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.route: Any = None
        self.offer: dict[str, Any] = {}

    def attach(self, route: Any) -> None:
        self.route = route
        route.on_message(self.receive)

    def say(self, message: dict[str, Any]) -> None:
        self.route.send(json.dumps(message))

    def receive(self, text: str | bytes) -> None:
        message = json.loads(text)
        self.received.append(message)
        if message["type"] == "hello":
            self.say({"type": "welcome", "session_id": "s1", "technician_name": "Alice Martin",
                      "organisation": "Entraide Numérique", "technician_id": 1, "mandate": True})
            self.say({"type": "state", "state": "waiting_for_consent"})
            text = render(TERMS, technician="Alice Martin", organisation="Entraide Numérique",
                          language=message["language"])
            self.offer = {"type": "mandate_offer", "kind": "mandate", "text": text,
                          "sha256": digest(text), "tools": ["view", "files_to_technician"],
                          "minutes": 30}
            self.say(self.offer)
        elif message["type"] == "mandate_sign" and message["sha256"] == self.offer["sha256"]:
            self.say({"type": "mandate_state", "sha256": message["sha256"],
                      "tools": self.offer["tools"], "ends_at": time.time() + 30 * 60,
                      "signed_by": message["name"]})
        elif message["type"] == "mandate_refuse" and self.offer["kind"] == "mandate":
            self.say({"type": "ended", "by": "person", "reason": 4004})
            self.route.close(code=4004)
        elif message["type"] == "mandate_refuse":
            self.say({"type": "mandate_state", "sha256": digest(TERMS.purpose),
                      "tools": ["view", "files_to_technician"], "ends_at": time.time() + 60,
                      "signed_by": "Jeanne Petit", "extension_refused": True})
        elif message["type"] == "consent":
            self.say({"type": "state", "state": "viewing", "kind": "browser"})

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m["type"] == kind]


def join_page(browser: Any, server: ServerProcess, lang: str) -> tuple[Any, PersonServerSide]:
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale=LOCALES[lang])
    context.add_init_script(STUB_DISPLAY_MEDIA)
    page = context.new_page()
    side = PersonServerSide()
    page.route_web_socket("**/ws/agent", side.attach)
    page.goto(server.url + "/join")
    page.fill("#share-code", "482 913 705")
    page.click("#share-continue")
    return page, side


def draw_signature(page: Any) -> None:
    """A few strokes with the mouse on the pad."""
    box = page.locator("#share-mandate-pad").bounding_box()
    assert box is not None
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.7)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(x + w * (0.1 + 0.035 * i), y + h * (0.7 - 0.4 * ((i % 4) / 3)), steps=2)
    page.mouse.up()
    page.mouse.move(x + w * 0.3, y + h * 0.85)
    page.mouse.down()
    page.mouse.move(x + w * 0.8, y + h * 0.8, steps=10)
    page.mouse.up()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_person_signs_the_mandate_before_sharing_the_screen(
        browser: Any, server: ServerProcess, lang: str) -> None:
    words = JOIN_WORDS[lang]
    page, side = join_page(browser, server, lang)
    page.locator("#browser-share[data-step=mandate]").wait_for(timeout=WAIT_MS)
    expected = render(TERMS, technician="Alice Martin", organisation="Entraide Numérique",
                      language=lang)
    assert side.of_type("hello")[0]["language"] == lang
    page.locator("#share-mandate-text").wait_for(timeout=WAIT_MS)
    assert page.locator("#share-mandate-heading").inner_text() == words["heading"]
    assert page.locator("#share-mandate-text").inner_text() == expected
    assert page.locator("#share-mandate-stop").inner_text() == words["stop"]
    assert page.locator("#share-start").is_hidden()
    # Without a name, nothing is signed.
    page.click("#share-mandate-sign")
    assert page.locator("#share-mandate-error").inner_text() == words["name_missing"]
    page.fill("#share-mandate-name", "Jeanne Petit")
    draw_signature(page)
    assert page.locator("#share-mandate-error").inner_text() == ""
    page.locator("#share-mandate-heading").scroll_into_view_if_needed()
    page.evaluate("document.querySelector('#share-mandate').scrollIntoView()")
    shoot(page, f"join-mandate-{lang}.png")
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"join-mandate-{lang}-whole.png"), full_page=True)
    assert page.evaluate("window.displayMediaCalls") == 0

    page.click("#share-mandate-sign")
    signed = wait_for(lambda: side.of_type("mandate_sign"), "mandate_sign", page)[0]
    assert signed["sha256"] == digest(expected)
    assert signed["name"] == "Jeanne Petit"
    picture = Image.open(io.BytesIO(base64.b64decode(signed["drawing"], validate=True)))
    assert picture.format == "PNG"
    assert picture.size == (600, 180)
    inked = sum(picture.convert("L").histogram()[:128])
    assert inked > 300, f"only {inked} dark pixels: the strokes were not drawn"

    # Signed: now, and only now, the question to share.
    page.locator("#browser-share[data-step=ask]").wait_for(timeout=WAIT_MS)
    assert page.locator("#share-mandate-done").inner_text().startswith(words["signed"])
    assert page.evaluate("window.displayMediaCalls") == 0
    page.click("#share-start")
    page.locator("#browser-share[data-step=sharing]").wait_for(timeout=WAIT_MS)
    assert page.evaluate("window.displayMediaCalls") == 1
    kinds = [m["type"] for m in side.received]
    assert kinds.index("mandate_sign") < kinds.index("consent")
    assert page.locator("#share-mandate-status").inner_text().startswith(words["signed"])

    # An extension in the panel, showing what changes: Not now, then asked again and signed.
    extension = {"type": "mandate_offer", "kind": "extension", "text": EXTENSION_TEXT,
                 "sha256": digest(EXTENSION_TEXT), "tools": ["view", "files_to_technician",
                                                             "files_to_person"], "minutes": 15,
                 "ends_at": time.time() + 45 * 60}
    side.offer = extension
    side.say(extension)
    panel_form = page.locator("#share-panel #share-mandate")
    panel_form.wait_for(timeout=WAIT_MS)
    assert page.locator("#share-mandate-heading").inner_text() == words["extension"]
    assert page.locator("#share-mandate-text").inner_text() == EXTENSION_TEXT
    assert page.locator("#share-mandate-name").input_value() == "Jeanne Petit"
    assert page.locator("#share-mandate-refuse").inner_text() == words["not_now"]
    page.evaluate("document.querySelector('#share-panel').scrollIntoView()")
    assert page.locator("#share-watching").is_visible()
    assert page.locator("#share-end").is_visible()
    shoot(page, f"join-extension-{lang}.png")
    page.click("#share-mandate-refuse")
    refused = wait_for(lambda: side.of_type("mandate_refuse"), "mandate_refuse", page)
    assert refused == [{"type": "mandate_refuse", "sha256": digest(EXTENSION_TEXT)}]
    panel_form.wait_for(state="hidden", timeout=WAIT_MS)
    assert page.locator("#browser-share").get_attribute("data-step") == "sharing"

    side.say(extension)
    panel_form.wait_for(timeout=WAIT_MS)
    page.click("#share-mandate-sign")
    signs = wait_for(lambda: side.of_type("mandate_sign")[1:], "the extension's mandate_sign", page)
    assert signs[0]["sha256"] == digest(EXTENSION_TEXT)
    assert signs[0]["name"] == "Jeanne Petit"
    panel_form.wait_for(state="hidden", timeout=WAIT_MS)


def test_the_person_who_does_not_sign_shares_nothing(browser: Any, server: ServerProcess) -> None:
    page, side = join_page(browser, server, "en")
    page.locator("#share-mandate-text").wait_for(timeout=WAIT_MS)
    page.click("#share-mandate-refuse")
    page.locator("#browser-share[data-step=ended]").wait_for(timeout=WAIT_MS)
    assert page.locator("#share-ended-sentence").inner_text() == JOIN_WORDS["en"]["refused"]
    assert side.of_type("mandate_refuse") == [{"type": "mandate_refuse",
                                               "sha256": side.offer["sha256"]}]
    assert side.of_type("consent") == []
    assert page.evaluate("window.displayMediaCalls") == 0


# --- the viewer ------------------------------------------------------------------

VIEWER_WORDS = {
    "en": {
        "waiting": "Waiting for the person to sign the mandate",
        "not_signed": "Not signed yet",
        "signed": "Signed by Jeanne Petit",
        "tools": "Allowed: viewing the screen, diagnostics",
        "tools_after": "Allowed: viewing the screen, control, diagnostics",
        "time": "24 min left",
        "outside": "Not in the mandate",
        "warning": "The mandate ends in 5 minutes — extend it or finish",
        "asked": "Waiting for the person to sign the extension…",
        "refused": "The person did not agree to the extension",
        "expired": "The mandate's time ran out; the session ended by itself.",
    },
    "fr": {
        "waiting": "En attente de la signature du mandat par la personne",
        "not_signed": "Pas encore signé",
        "signed": "Signé par Jeanne Petit",
        "tools": "Autorisé : voir l'écran, diagnostic",
        "tools_after": "Autorisé : voir l'écran, prise en main, diagnostic",
        "time": "Reste 24 min",
        "outside": "Hors du mandat",
        "warning": "Le mandat se termine dans 5 minutes — prolongez-le ou terminez",
        "asked": "En attente de la signature de la prolongation par la personne…",
        "refused": "La personne n'a pas accepté la prolongation",
        "expired": None,  # read from the catalog below
    },
}


class ViewerRoute:
    """The viewer's socket, passed through to the real server; the test adds mandate_state."""

    def __init__(self) -> None:
        self.routes: list[Any] = []
        self.extends: list[dict[str, Any]] = []

    def attach(self, route: Any) -> None:
        server = route.connect_to_server()

        def from_page(message: str | bytes) -> None:
            if isinstance(message, str) and json.loads(message).get("type") == "mandate_extend":
                self.extends.append(json.loads(message))
                return
            server.send(message)

        route.on_message(from_page)
        self.routes.append(route)

    def say(self, message: dict[str, Any]) -> None:
        self.routes[-1].send(json.dumps(message))


def receive_until(ws: Any, kind: str, page: Any) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_MS / 1000
    while time.monotonic() < deadline:
        try:
            message = json.loads(ws.recv(timeout=0.2))
        except TimeoutError:
            page.wait_for_timeout(10)
            continue
        if message["type"] == kind:
            return dict(message)
    raise AssertionError(f"the agent got no {kind!r}")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_technician_sees_the_mandate_and_only_its_tools(
        browser: Any, server: ServerProcess, lang: str) -> None:
    words = VIEWER_WORDS[lang]
    catalog = json.loads((Path(__file__).resolve().parents[2] / "src/coupdemain/i18n/locales"
                          / lang / "viewer.json").read_text("utf-8"))
    page = browser.new_context(viewport={"width": 1024, "height": 768},
                               locale=LOCALES[lang]).new_page()
    route = ViewerRoute()
    page.route_web_socket("**/ws/viewer/**", route.attach)
    page.goto(server.url + "/login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.click("#help-someone")
    code = page.locator("#support-code")
    code.wait_for(timeout=WAIT_MS)
    wait_for(lambda: route.routes, "the viewer's socket", page)

    def mandate(**changes: Any) -> dict[str, Any]:
        state = {"type": "mandate_state", "sha256": "a" * 64, "tools": ["view", "diagnostics"],
                 "ends_at": time.time() + 24 * 60 - 5, "signed_by": "Jeanne Petit"}
        return {**state, **changes}

    def text(selector: str) -> str:
        return str(page.locator(selector).inner_text())

    with ws_client.connect(server.ws_url + "/ws/agent", open_timeout=10) as agent:
        agent.send(json.dumps({"type": "hello", "protocol": 1, "role": "agent",
                               "code": code.inner_text().replace(" ", ""),
                               "hostname": "pc-42", "user": "jeanne", "language": lang}))
        receive_until(agent, "welcome", page)
        route.say(mandate(ends_at=0, signed_by=""))
        page.locator("#status", has_text=words["waiting"]).wait_for(timeout=WAIT_MS)
        assert text("#mandate-signed") == words["not_signed"]
        assert page.locator("#mandate-extend").is_hidden()

        agent.send(json.dumps({"type": "consent", "decision": "allow_view"}))
        route.say(mandate())
        page.locator("#mandate-signed", has_text=words["signed"]).wait_for(timeout=WAIT_MS)
        page.locator("#request-control").wait_for(timeout=WAIT_MS)
        assert text("#mandate-tools") == words["tools"]
        assert text("#mandate-time") == words["time"]
        assert page.locator("#mandate-warning").is_hidden()
        # Outside the mandate: in its place, disabled, saying why.
        request = page.locator("#request-control")
        assert request.is_disabled()
        assert request.get_attribute("title") == words["outside"]
        choose = page.locator("#files-choose")
        assert choose.is_disabled()
        assert choose.get_attribute("title") == words["outside"]
        # In the mandate: usable, no such title.
        diagnose = page.locator("#diagnose")
        assert diagnose.is_enabled()
        assert diagnose.get_attribute("title") is None
        shoot(page, f"viewer-mandate-{lang}.png")

        route.say(mandate(warning=True))
        page.locator("#mandate-warning", has_text=words["warning"]).wait_for(timeout=WAIT_MS)

        page.click("#mandate-extend")
        dialog = page.locator("#mandate-extend-dialog")
        dialog.wait_for(timeout=WAIT_MS)
        offered = page.locator("#mandate-extend-dialog input[name=tool]")
        assert [offered.nth(i).get_attribute("value") for i in range(offered.count())] == [
            "control", "files_to_person", "files_to_technician", "clipboard", "recording"]
        page.fill("#mandate-extend-minutes", "15")
        page.check("#mandate-extend-dialog input[value=control]")
        shoot(page, f"viewer-extend-{lang}.png")
        page.click("#mandate-extend-send")
        dialog.wait_for(state="hidden", timeout=WAIT_MS)
        wait_for(lambda: route.extends, "mandate_extend", page)
        assert route.extends == [{"type": "mandate_extend", "minutes": 15, "tools": ["control"]}]
        assert text("#mandate-answer") == words["asked"]

        route.say(mandate(warning=True, extension_refused=True))
        page.locator("#mandate-answer", has_text=words["refused"]).wait_for(timeout=WAIT_MS)
        assert request.is_disabled()

        # Signed after all: control is in the mandate, asked and granted through the server.
        route.say(mandate(sha256="b" * 64, tools=["view", "control", "diagnostics"],
                          ends_at=time.time() + 39 * 60))
        page.locator("#mandate-tools", has_text=words["tools_after"]).wait_for(timeout=WAIT_MS)
        assert text("#mandate-answer") == ""
        assert page.locator("#mandate-warning").is_hidden()
        assert request.is_enabled()
        assert request.get_attribute("title") is None
        request.click()
        receive_until(agent, "control_request", page)
        agent.send(json.dumps({"type": "control_decision", "decision": "allow_control"}))
        send_clipboard = page.locator("#clipboard-send")
        send_clipboard.wait_for(timeout=WAIT_MS)
        assert send_clipboard.is_disabled()
        assert send_clipboard.get_attribute("title") == words["outside"]

        route.say({"type": "ended", "by": "server", "reason": 4005})
        expired = words["expired"] or catalog["ended.4005"]
        page.locator("#ended-message", has_text=expired).wait_for(timeout=WAIT_MS)
        assert page.locator("#mandate").is_hidden()
