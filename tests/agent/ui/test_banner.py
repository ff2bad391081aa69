"""The banner on small screens, in both languages: End session is whole on screen, and red."""

from __future__ import annotations

from pathlib import Path

import pytest

from coupdemain.agent.ui.banner import Banner
from coupdemain.agent.ui.events import SessionStatus
from coupdemain.agent.ui.look import BUTTON_COLOURS
from coupdemain.agent.ui.trace import UiTrace
from coupdemain.agent.ui.window import geometry_of
from coupdemain.demo.xvfb import VirtualScreen
from coupdemain.i18n import Translator
from tests.agent.ui.screens import Screens, screenshot, settle, share_of_colour, tk_root

RED = BUTTON_COLOURS["stop"][0]
CONTROLLING = SessionStatus("controlling", False, True, "Alice Martin", "Entraide Numérique")
PAUSED_AND_DROPPED = SessionStatus("viewing", True, False, "Alice Martin", "Entraide Numérique")
# A managed device whose policy is "no prompt": the banner says who set it so.
UNATTENDED = SessionStatus("controlling", False, True, "Alice Martin", "Entraide Numérique",
                           consent_assumed=True, unattended=True)


@pytest.fixture(params=[(1024, 768), (1280, 800)], ids=["1024x768", "1280x800"])
def screen(request: pytest.FixtureRequest, screens: Screens) -> VirtualScreen:
    return screens(*request.param)


def inside(box: dict[str, int], screen: VirtualScreen) -> bool:
    return (box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= screen.width
            and box["y"] + box["height"] <= screen.height)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("status", [CONTROLLING, PAUSED_AND_DROPPED, UNATTENDED],
                         ids=["controlling", "paused", "unattended"])
def test_end_session_is_whole_on_screen_and_red(
    screen: VirtualScreen, language: str, status: SessionStatus, tmp_path: Path
) -> None:
    t = Translator("agent", language)
    with tk_root(screen.display) as root:
        banner = Banner(root, t, trace=UiTrace(None), on_stop_control=lambda: None,
                        on_pause=lambda: None, on_resume=lambda: None, on_chat=lambda: None,
                        on_end=lambda: None)
        # Every line the banner can show at once: the tallest and widest it gets.
        banner.set_unread("Alice Martin")
        banner.set_reading(True)
        banner.set_note("step", "I am checking your network settings, then I will look at why "
                        "the printer in the office does not answer any more.", "Alice Martin")
        banner.update(status)
        end = banner.buttons["end_session"]
        settle(root, lambda: end.winfo_ismapped() and end.winfo_width() > 1)
        shot_path = tmp_path / f"banner-{language}-{screen.width}.png"

        def painted() -> bool:
            shot = screenshot(screen.display)
            shot.save(shot_path)
            return share_of_colour(shot, geometry_of(end), RED) > 0.6

        settle(root, painted)
        assert str(end.cget("text")) == t("banner.end_session")
        assert inside(geometry_of(end), screen), (geometry_of(end), shot_path)
        assert inside(geometry_of(banner.top), screen), (geometry_of(banner.top), shot_path)
        # The other buttons are whole on screen too, and none covers End session.
        shown = [b for b in banner.buttons.values() if b.winfo_ismapped()]
        assert len(shown) == len(banner.buttons_for(status)) + 1
        for button in shown:
            assert inside(geometry_of(button), screen), (button.cget("text"), shot_path)
        # The texts wrap inside the banner rather than widening it.
        for label in banner.lines.values():
            if label.winfo_ismapped():
                assert inside(geometry_of(label), screen), (label.cget("text"), shot_path)


def test_the_banner_names_the_technician_as_the_dialogs_do(screen: VirtualScreen) -> None:
    with tk_root(screen.display) as root:
        for language, expected in (
            ("en", "Alice Martin, Entraide Numérique, can see and control your computer."),
            ("fr", "Alice Martin, Entraide Numérique, voit et contrôle votre ordinateur."),
        ):
            banner = Banner(root, Translator("agent", language), trace=UiTrace(None),
                            on_stop_control=lambda: None, on_pause=lambda: None,
                            on_resume=lambda: None, on_chat=lambda: None, on_end=lambda: None)
            banner.update(CONTROLLING)
            assert banner.lines["who"].cget("text") == expected
            banner.top.destroy()


def test_a_step_shows_on_the_banner_in_words(screen: VirtualScreen) -> None:
    with tk_root(screen.display) as root:
        for language, step, announced in (
            ("en", "Alice Martin: “I am checking your network settings”",
             "Alice Martin announces: “I will open the settings”"),
            ("fr", "Alice Martin : « I am checking your network settings »",
             "Alice Martin annonce : « I will open the settings »"),
        ):
            banner = Banner(root, Translator("agent", language), trace=UiTrace(None),
                            on_stop_control=lambda: None, on_pause=lambda: None,
                            on_resume=lambda: None, on_chat=lambda: None, on_end=lambda: None)
            banner.update(CONTROLLING)
            assert "note" not in {name for name, label in banner.lines.items()
                                  if str(label.cget("text"))}
            banner.set_note("step", "I am checking your network settings", "Alice Martin")
            assert banner.lines["note"].cget("text") == step
            banner.set_note("other", "I will open the settings", "Alice Martin")
            assert banner.lines["note"].cget("text") == announced
            banner.top.destroy()


def test_an_unattended_device_says_who_set_it_so(screen: VirtualScreen) -> None:
    with tk_root(screen.display) as root:
        for language, expected in (
            ("en", "Unattended access: Entraide Numérique set this computer to be reached "
                   "without asking. Everything is recorded."),
            ("fr", "Accès sans surveillance : Entraide Numérique a réglé cet ordinateur pour y "
                   "accéder sans demander. Tout est enregistré."),
        ):
            banner = Banner(root, Translator("agent", language), trace=UiTrace(None),
                            on_stop_control=lambda: None, on_pause=lambda: None,
                            on_resume=lambda: None, on_chat=lambda: None, on_end=lambda: None)
            banner.update(UNATTENDED)
            assert banner.lines["demo"].cget("text") == expected
            banner.top.destroy()
