"""The mandate on a virtual screen of 1024x768: read, name typed, signature drawn with
xdotool, Sign; an extension; the banner's warning and Save a copy; the last window's words."""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from coupdemain.agent.ui import events as ev
from coupdemain.agent.ui.mandate import MandateWindow
from coupdemain.agent.ui.window import geometry_of
from coupdemain.demo.xvfb import VirtualScreen
from coupdemain.protocol.enums import PersonRole, Tool
from coupdemain.protocol.mandate import Terms, digest, render
from tests.agent.ui.screens import Screens, Windows, screenshot, settle

# Where the screenshots go, to be looked at (COUPDEMAIN_SHOTS), else the test's folder.
SHOTS = os.environ.get("COUPDEMAIN_SHOTS", "")
TERMS = Terms(
    purpose="Repair the printer that no longer prints, then check the Wi-Fi settings and "
            "install the updates that wait.",
    tools=frozenset({Tool.VIEW, Tool.CONTROL, Tool.FILES_TO_PERSON, Tool.DIAGNOSTICS}),
    minutes=30, role=PersonRole.FOLLOW_ALONG,
)
EXTENSION = {
    "en": "15 more minutes (until 15:45).\nA new tool: sharing copied text.",
    "fr": "15 minutes de plus (jusqu'à 15 h 45).\nUn nouvel outil : partager du texte copié.",
}
EXPECTED = {
    "en": ["Alice Martin, Entraide Numérique, asks you to read and sign this mandate. Nothing "
           "is shared before you sign.",
           "If you do not agree, click Do not sign: nothing is shared and the session ends.",
           "Your name:", "Your signature, with the mouse (if you wish):"],
    "fr": ["Alice Martin, Entraide Numérique, vous demande de lire et de signer ce mandat. "
           "Rien n'est partagé avant votre signature.",
           "Si vous n'êtes pas d'accord, cliquez sur « Ne pas signer » : rien n'est partagé et "
           "la session se termine.",
           "Votre nom :", "Votre signature, à la souris (si vous le souhaitez) :"],
}


def offer(language: str) -> ev.AskMandate:
    text = render(TERMS, technician="Alice Martin", organisation="Entraide Numérique",
                  language=language)
    return ev.AskMandate("mandate", text, digest(text), "Alice Martin", "Entraide Numérique")


@pytest.fixture
def screen(screens: Screens) -> VirtualScreen:
    return screens(1024, 768)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def xdotool(screen: VirtualScreen, *args: str) -> None:
    subprocess.run(["xdotool", *args], env=screen.env(), check=True, timeout=20)


def pump(w: Windows) -> None:
    for _ in range(3):
        w.ui.root.update()


def texts(window: MandateWindow) -> list[str]:
    described = window.describe()
    assert described is not None and "texts" in described
    return list(described["texts"])


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_mandate_is_read_named_drawn_and_signed(
    windows: Callable[[str], Windows], screen: VirtualScreen, shots: Path, language: str,
) -> None:
    w = windows(language)
    t = w.ui.t
    asked = offer(language)
    w.show(asked)
    window = w.ui.mandate
    settle(w.ui.root, lambda: window.top.winfo_ismapped() and window.pad.winfo_width() > 1)
    assert texts(window) == EXPECTED[language]
    described = window.describe()
    assert described is not None
    assert described["mandate_text"] == asked.text  # the whole text, word for word
    assert described["title"] == t("mandate.title")
    assert [b["label"] for b in described["buttons"].values()] == [
        t("mandate.clear"), t("mandate.sign"), t("mandate.refuse")]
    box = geometry_of(window.top)
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1024
    assert box["y"] >= 0 and box["y"] + box["height"] <= 768
    # Sign stays disabled until a name is typed.
    assert described["sign_enabled"] is False
    window.sign()
    assert w.acts == []

    entry = geometry_of(window.name_entry)
    xdotool(screen, "mousemove", str(entry["x"] + 20), str(entry["y"] + entry["height"] // 2),
            "click", "1")
    pump(w)
    xdotool(screen, "type", "--delay", "20", "Marie Dupont")
    pump(w)
    assert window.name_value.get() == "Marie Dupont"
    assert not window.sign_button.instate(["disabled"])

    # A signature drawn with the mouse: one xdotool call per move, as a hand moves.
    pad = geometry_of(window.pad)
    x0, y0 = pad["x"] + 40, pad["y"] + 80
    xdotool(screen, "mousemove", str(x0), str(y0), "mousedown", "1")
    pump(w)
    for i in range(1, 31):
        xdotool(screen, "mousemove", str(x0 + i * 12), str(y0 - (i % 10) * 5))
        pump(w)
    xdotool(screen, "mouseup", "1")
    pump(w)
    assert len(window.strokes) == 1 and len(window.strokes[0]) >= 25
    screenshot(screen.display).save(shots / f"mandate-{language}.png")

    window.buttons["sign"].invoke()
    assert len(w.acts) == 1
    signed = w.acts[0]
    assert isinstance(signed, ev.SignMandate)
    assert (signed.sha256, signed.name) == (asked.sha256, "Marie Dupont")
    image = Image.open(io.BytesIO(signed.drawing)).convert("L")
    assert image.size == (480, 120)
    # The stroke is in the PNG where it was drawn (relative to the pad), and nowhere else.
    assert image.getpixel((40, 80)) == 0
    assert image.getpixel((40 + 15 * 12, 80 - 5 * 5)) < 128
    assert image.getpixel((460, 10)) == 255
    assert not window.visible


def test_clear_rubs_out_and_do_not_sign_refuses(
    windows: Callable[[str], Windows], screen: VirtualScreen,
) -> None:
    w = windows("en")
    asked = offer("en")
    w.show(asked)
    window = w.ui.mandate
    settle(w.ui.root, lambda: window.pad.winfo_width() > 1)
    window.strokes = [[(1, 1), (5, 5)]]
    window.buttons["clear"].invoke()
    assert window.strokes == []
    window.name_value.set("Marie Dupont")
    window.buttons["sign"].invoke()
    assert w.acts == [ev.SignMandate(asked.sha256, "Marie Dupont", b"")]  # a name alone is enough
    w.show(ev.AskMandate("mandate", "Another text", "b" * 64, "Alice Martin", "Entraide"))
    window.buttons["refuse"].invoke()
    assert w.acts[-1] == ev.RefuseMandate("b" * 64)
    window.refuse()  # a double click
    assert len(w.acts) == 2


STATUS = ev.SessionStatus(state="viewing", paused=False, viewer_connected=True,
                          technician="Alice Martin", organisation="Entraide Numérique",
                          mandate_signed=True)


@pytest.mark.parametrize("state", ["viewing", "controlling"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_an_extension_shows_what_changes_under_the_banner(
    windows: Callable[[str], Windows], screen: VirtualScreen, shots: Path, language: str,
    state: str,
) -> None:
    w = windows(language)
    t = w.ui.t
    w.show(dataclasses.replace(STATUS, state=state))  # controlling: one more button
    w.show(ev.MandateTime(True))
    banner = w.ui.banner
    settle(w.ui.root, lambda: banner.top.winfo_ismapped())
    assert t("banner.mandate_warning") in texts(banner)  # type: ignore[arg-type]
    assert "save_mandate" in banner.describe()["buttons"]  # type: ignore[index]
    w.show(ev.AskMandate("extension", EXTENSION[language], "c" * 64, "Alice Martin",
                         "Entraide Numérique"))
    window = w.ui.mandate
    settle(w.ui.root, lambda: window.top.winfo_ismapped() and window.pad.winfo_width() > 1)
    described = window.describe()
    assert described is not None
    assert described["title"] == t("mandate.extension_title")
    assert described["texts"][:2] == [
        t("mandate.extension_asks", who="Alice Martin, Entraide Numérique,"),
        t("mandate.extension_not_now_means")]
    assert described["mandate_text"] == EXTENSION[language]
    assert described["buttons"]["refuse"]["label"] == t("mandate.not_now")
    # Under the banner, whole, on the screen.
    box, under = geometry_of(window.top), geometry_of(banner.top)
    assert box["y"] >= under["y"] + under["height"] and box["y"] + box["height"] <= 768
    screenshot(screen.display).save(shots / f"mandate-extension-{state}-{language}.png")
    window.buttons["refuse"].invoke()
    assert w.acts == [ev.RefuseMandate("c" * 64)]
    w.show(ev.MandateCopySaved("/home/marie/Documents/mandate.pdf"))
    w.show(ev.MandateTime(False))
    assert t("banner.mandate_warning") not in texts(banner)  # type: ignore[arg-type]
    assert t("mandate.copy_saved", path="/home/marie/Documents/mandate.pdf") in texts(
        banner)  # type: ignore[arg-type]
    w.show(ev.MandateCopySaved("/x/mandate.pdf", "network"))
    assert t("mandate.copy_failed.network") in texts(banner)  # type: ignore[arg-type]
    screenshot(screen.display).save(shots / f"banner-mandate-{state}-{language}.png")


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("reason", [4004, 4005])
def test_the_last_window_says_why_the_mandate_ended_it(
    windows: Callable[[str], Windows], screen: VirtualScreen, shots: Path, language: str,
    reason: int,
) -> None:
    w = windows(language)
    w.ui.ended_notice_ms = 600_000
    w.show(offer(language))
    by = "person" if reason == 4004 else "server"
    w.show(ev.SessionEnded(by, reason, "Alice Martin"))
    ended = w.ui.ended
    settle(w.ui.root, lambda: ended.top.winfo_ismapped())
    assert not w.ui.mandate.visible
    key = "ended.mandate_refused" if reason == 4004 else "ended.mandate_expired"
    assert w.ui.t(key) in texts(ended)  # type: ignore[arg-type]
    screenshot(screen.display).save(shots / f"ended-{reason}-{language}.png")
