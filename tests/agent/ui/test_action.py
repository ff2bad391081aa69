"""The question about an announced action, at 1024x768 in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from coupdemain.agent.ui.action import ActionQuestion
from coupdemain.agent.ui.events import AskAction
from coupdemain.agent.ui.trace import UiTrace
from coupdemain.agent.ui.window import geometry_of
from coupdemain.i18n import Translator
from tests.agent.ui.screens import Screens, screenshot, settle, tk_root

RESTART = AskAction(4, "restart", "I will restart the computer to finish the update.",
                    "Alice Martin", "Entraide Numérique")
EXPECTED = {
    "en": ["Alice Martin, Entraide Numérique, would like to restart your computer.",
           "In their words: “I will restart the computer to finish the update.”",
           "Save your work first if you need to. If now is not a good time, choose Not now: "
           "nothing will be done."],
    "fr": ["Alice Martin, Entraide Numérique, voudrait redémarrer votre ordinateur.",
           "Avec ses mots : « I will restart the computer to finish the update. »",
           "Enregistrez d'abord votre travail si besoin. Si ce n'est pas le bon moment, "
           "choisissez Pas maintenant : rien ne sera fait."],
}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_question_names_the_technician_and_answers_once_each(
    screens: Screens, language: str, tmp_path: Path
) -> None:
    screen = screens(1024, 768)
    answers: list[tuple[int, bool]] = []
    t = Translator("agent", language)
    with tk_root(screen.display) as root:
        question = ActionQuestion(root, t, trace=UiTrace(None),
                                  on_answer=lambda ident, ok: answers.append((ident, ok)))
        question.ask(RESTART)
        question.ask(RESTART)  # asked again after a drop: once is enough
        question.ask(AskAction(5, "administrator", "x", "Alice Martin", "Entraide Numérique"))
        not_now = question.buttons["action_not_now"]
        settle(root, lambda: not_now.winfo_ismapped() and not_now.winfo_width() > 1)
        screenshot(screen.display).save(tmp_path / f"action-{language}.png")
        described = question.describe()
        assert described is not None and described["texts"] == EXPECTED[language]
        assert [b["label"] for b in described["buttons"].values()] == [
            t("action.ok"), t("action.not_now")]
        box = geometry_of(question.top)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1024
        assert box["y"] >= 0 and box["y"] + box["height"] <= 768
        not_now.invoke()
        # The second announcement is asked next; closing the window is Not now.
        assert question.visible
        question.answer(True)
        question.answer(True)  # a double click
        assert answers == [(4, False), (5, True)]
        assert not question.visible


def test_a_drop_forgets_the_questions_the_server_asks_again(screens: Screens) -> None:
    screen = screens(1024, 768)
    answers: list[tuple[int, bool]] = []
    with tk_root(screen.display) as root:
        question = ActionQuestion(root, Translator("agent", "en"), trace=UiTrace(None),
                                  on_answer=lambda ident, ok: answers.append((ident, ok)))
        question.ask(RESTART)
        question.ask(AskAction(5, "administrator", "x", "Alice Martin", "Entraide Numérique"))
        question.forget()
        assert not question.visible
        question.ask(RESTART)
        question.answer(True)
        assert answers == [(4, True)] and not question.visible
