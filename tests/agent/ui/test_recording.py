"""The recording as the person sees it: told or asked when consenting, marked on the banner."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from coupdemain.agent.ui import events as ev
from coupdemain.demo.xvfb import VirtualScreen
from tests.agent.ui.screens import Screens, Windows, screenshot, settle

# Where the screenshots go, to be looked at (COUPDEMAIN_SHOTS), else the test's folder.
SHOTS = os.environ.get("COUPDEMAIN_SHOTS", "")


def asked(policy: str) -> ev.AskConsent:
    return ev.AskConsent("Alice Martin", "Entraide Numérique", recording=policy, recording_days=30)


RECORDING = ev.SessionStatus("viewing", False, True, "Alice Martin", "Entraide Numérique",
                             recording=True)


@pytest.fixture
def screen(screens: Screens) -> VirtualScreen:
    return screens(1024, 768)


def texts(w: Windows, name: str) -> list[str]:
    window = w.ui.consent if name == "consent" else w.ui.banner
    description = window.describe()
    assert isinstance(description, dict)
    return list(description["texts"])


def test_ask_offers_an_unticked_box_and_the_answer_says_what_the_person_chose(
    windows: Callable[[str], Windows],
) -> None:
    w = windows("en")
    w.show(asked("ask"))
    settle(w.ui.root, lambda: w.ui.consent.top.winfo_ismapped())
    assert ("Entraide Numérique asks to record this session. The recording is kept for 30 "
            "days, then deleted. You still get help if you say no.") in texts(w, "consent")
    assert str(w.ui.consent.buttons["record"].cget("text")) == "Yes, record this session"
    w.ui.consent.buttons["allow_view"].invoke()
    assert w.acts == [ev.ConsentAnswer(True, False)]
    w.show(asked("ask"))
    w.ui.consent.buttons["record"].invoke()   # ticks the box
    w.ui.consent.buttons["allow_view"].invoke()
    assert w.acts[-1] == ev.ConsentAnswer(True, True)


def test_always_says_it_and_never_says_nothing(windows: Callable[[str], Windows]) -> None:
    w = windows("fr")
    w.show(asked("always"))
    settle(w.ui.root, lambda: w.ui.consent.top.winfo_ismapped())
    assert ("Entraide Numérique enregistre cette session : ce qui s'affiche sur votre écran est "
            "gardé 30 jours, puis effacé. Pendant l'enregistrement, le bandeau l'indique."
            ) in texts(w, "consent")
    assert "record" not in w.ui.consent.describe()["buttons"]  # type: ignore[index]
    w.ui.consent.buttons["allow_view"].invoke()
    assert w.acts == [ev.ConsentAnswer(True, True)]
    w.show(asked("never"))
    assert not any("enregistre" in text for text in texts(w, "consent"))
    w.ui.consent.buttons["decline"].invoke()
    assert w.acts[-1] == ev.ConsentAnswer(False, False)


@pytest.mark.parametrize(("language", "mark"), [("en", "● Recording"),
                                                ("fr", "● Enregistrement en cours")])
def test_the_banner_marks_a_recording(windows: Callable[[str], Windows], language: str,
                                      mark: str) -> None:
    w = windows(language)
    w.show(RECORDING)
    settle(w.ui.root, lambda: w.ui.banner.top.winfo_ismapped())
    assert texts(w, "banner")[0] == mark
    w.show(ev.SessionStatus("viewing", False, True, "Alice Martin", "Entraide Numérique"))
    assert mark not in texts(w, "banner")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_screenshots(windows: Callable[[str], Windows], screen: VirtualScreen, language: str,
                     tmp_path: Path) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    for policy in ("ask", "always"):
        w = windows(language)
        w.show(asked(policy))
        settle(w.ui.root, lambda w=w: w.ui.consent.top.winfo_ismapped())  # type: ignore[misc]
        for _ in range(20):
            w.ui.root.update()
        screenshot(screen.display).save(folder / f"consent-recording-{policy}-{language}.png")
        w.ui.destroy()
    w = windows(language)
    w.show(RECORDING)
    settle(w.ui.root, lambda: w.ui.banner.top.winfo_ismapped())
    for _ in range(20):
        w.ui.root.update()
    screenshot(screen.display).save(folder / f"banner-recording-{language}.png")
