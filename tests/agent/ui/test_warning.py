"""The warning against scams, on a virtual screen: the first meeting with an
organisation shows it before the consent question; Continue waits a few seconds."""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from coupdemain.agent.ui import events as ev
from coupdemain.agent.ui.runner import AgentUi
from coupdemain.agent.ui.trace import UiTrace
from coupdemain.agent.ui.warning import ScamWarning, warning_seconds
from coupdemain.demo.xvfb import VirtualScreen
from coupdemain.i18n import Translator
from tests.agent.ui.screens import Screens, screenshot, settle

FIRST = ev.AskConsent("Alice Martin", "Entraide Numérique", first_meeting=True,
                      server="help.example.org", verified=True)
KNOWN = ev.AskConsent("Alice Martin", "Entraide Numérique")
# Where the screenshots go, to be looked at (COUPDEMAIN_SHOTS), else the test's folder.
SHOTS = os.environ.get("COUPDEMAIN_SHOTS", "")


@pytest.fixture
def screen(screens: Screens) -> VirtualScreen:
    return screens(1024, 768)


class Windows:
    """The agent's windows, and the actions the person's clicks sent."""

    def __init__(self, language: str, seconds: int) -> None:
        self.acts: list[ev.UserAction] = []
        self.ui = AgentUi(Translator("agent", language), self.acts.append, trace=UiTrace(None),
                          warning_seconds=seconds)
        self.ui.warning.tick_ms = 50  # a second of the countdown, shortened

    def show(self, event: ev.UiEvent) -> None:
        self.ui.handle(event)
        self.ui.root.update()

    @property
    def enabled(self) -> bool:
        return not self.ui.warning.continue_button.instate(["disabled"])


MakeWindows = Callable[..., Windows]


@pytest.fixture
def windows(screen: VirtualScreen, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeWindows]:
    monkeypatch.setenv("DISPLAY", screen.display)
    made: list[Windows] = []

    def make(language: str = "en", seconds: int = 3) -> Windows:
        made.append(Windows(language, seconds))
        return made[-1]

    yield make
    for w in made:
        w.ui.destroy()
    made.clear()
    gc.collect()


def texts(warning: ScamWarning) -> list[str]:
    description = warning.describe()
    assert description is not None and "texts" in description
    return list(description["texts"])


def test_a_new_organisation_is_warned_about_before_the_question(windows: MakeWindows) -> None:
    w = windows("en", seconds=3)
    w.show(FIRST)
    warning = w.ui.warning
    settle(w.ui.root, lambda: warning.top.winfo_ismapped())
    assert warning.visible and not w.ui.consent.visible
    *said, countdown = texts(warning)
    assert said == [
        "This is the first time this organisation helps you on this computer:",
        "Entraide Numérique, on help.example.org",
        "The address help.example.org was verified by a secure connection. "
        "The organisation's name is the one this server gives.",
        "Nobody legitimate calls you unexpectedly to ask for a code.",
        "If someone you did not expect called you and asked you to do this, click Report a "
        "problem: the session ends and nothing is shared.",
    ]
    # The countdown runs on a shortened second: a loaded machine may have ticked already.
    assert re.fullmatch(r"Please read this\. You can continue in [123] s\.", countdown), countdown
    # Continue is disabled while the countdown runs: a click does nothing.
    assert not w.enabled
    warning.proceed()
    assert w.acts == [] and warning.visible
    settle(w.ui.root, lambda: w.enabled)
    assert texts(warning)[-1] == "Continue only if you asked this organisation for help yourself."
    warning.buttons["continue"].invoke()
    assert w.acts == [ev.MetOrganisation()]
    assert not warning.visible and w.ui.consent.visible


def test_a_known_organisation_gets_the_question_straight_away(windows: MakeWindows) -> None:
    w = windows("en")
    w.show(KNOWN)
    assert w.ui.consent.visible and not w.ui.warning.visible


def test_report_a_problem_sends_the_report_at_once(windows: MakeWindows) -> None:
    w = windows("fr", seconds=30)
    w.show(FIRST)
    assert str(w.ui.warning.buttons["report"].cget("text")) == "Signaler un problème"
    w.ui.warning.buttons["report"].invoke()  # no need to wait for the countdown
    assert w.acts == [ev.ReportProblem()]
    assert not w.ui.warning.visible and not w.ui.consent.visible


def test_the_delay_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUPDEMAIN_WARNING_SECONDS", "1")
    assert warning_seconds() == 1
    monkeypatch.setenv("COUPDEMAIN_WARNING_SECONDS", "soon")
    assert warning_seconds() == 5


@pytest.mark.parametrize("language", ["en", "fr"])
def test_screenshots_of_the_warning(windows: MakeWindows, screen: VirtualScreen, language: str,
                                    tmp_path: Path) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    w = windows(language, seconds=3)
    w.ui.warning.tick_ms = 60_000  # the countdown holds still for the first picture
    w.show(FIRST)
    settle(w.ui.root, lambda: w.ui.warning.top.winfo_ismapped())
    for _ in range(20):
        w.ui.root.update()
    screenshot(screen.display).save(folder / f"warning-{language}-countdown.png")
    assert not w.enabled
    w.ui.warning.tick_ms = 10
    w.ui.warning.left = 0
    w.ui.warning._count()
    for _ in range(20):
        w.ui.root.update()
    assert w.enabled
    screenshot(screen.display).save(folder / f"warning-{language}-ready.png")
