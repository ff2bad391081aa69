"""The ended window while the summary is written, then the summary itself, on a 1024x768
screen in both languages; its buttons send the person's note and the PDF's path."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coupdemain.agent.ui import events as ev
from coupdemain.agent.ui.runner import AgentUi
from coupdemain.agent.ui.trace import UiTrace
from coupdemain.demo.xvfb import VirtualScreen
from coupdemain.i18n import Translator
from coupdemain.protocol.errors import CloseReason
from tests.agent.ui.screens import Screens, screenshot, settle

SHOTS = os.environ.get("COUPDEMAIN_SHOTS", "")

REPORT: dict[str, Any] = {
    "organisation": "Entraide Numérique", "technician": "Alice Martin",
    "computer": "marie@pc-de-marie", "status": "sent",
    "done": "J'ai vidé la file d'impression et remis l'imprimante en marche.",
    "outcome": "solved",
    "follow_ups": [{"text": "Acheter des cartouches", "new_mandate": False},
                   {"text": "Installer le scanner", "new_mandate": True}],
    "sent_at": "2026-12-02T10:00:00+00:00",
    "timeline": {"started_at": "2026-12-02T09:00:00+00:00",
                 "ended_at": "2026-12-02T09:30:00+00:00"},
    "mandate": None,
}


@pytest.fixture
def screen(screens: Screens) -> VirtualScreen:
    return screens(1024, 768)


@pytest.fixture
def made(screen: VirtualScreen, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[AgentUi]]:
    monkeypatch.setenv("DISPLAY", screen.display)
    uis: list[AgentUi] = []
    yield uis
    for ui in uis:
        ui.destroy()
    uis.clear()
    gc.collect()


def texts(description: dict[str, Any] | None) -> list[str]:
    assert description is not None and "texts" in description
    return list(description["texts"])


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_summary_is_awaited_then_shown(
    made: list[AgentUi], screen: VirtualScreen, language: str, tmp_path: Path,
) -> None:
    acts: list[ev.UserAction] = []
    ui = AgentUi(Translator("agent", language), acts.append, trace=UiTrace(None),
                 ended_notice_ms=50)
    made.append(ui)
    folder = Path(SHOTS) if SHOTS else tmp_path
    ui.handle(ev.SessionEnded("technician", int(CloseReason.ENDED_BY_TECHNICIAN),
                              "Alice Martin"))
    ui.handle(ev.ReportAwaited("Alice Martin"))
    settle(ui.root, lambda: ui.ended.top.winfo_ismapped())
    writing = {"en": "Alice Martin is writing a summary of what was done.",
               "fr": "Alice Martin écrit un résumé de ce qui a été fait."}[language]
    assert any(writing in text for text in texts(ui.ended.describe()))
    # The notice no longer closes by itself: the summary will show in it.
    for _ in range(20):
        ui.root.update()
        ui.root.after(10)
    assert ui.exit_code is None
    screenshot(screen.display).save(folder / f"report-{language}-writing.png")

    ui.handle(ev.ReportReady(REPORT))
    settle(ui.root, lambda: ui.report.top.winfo_ismapped() and not ui.ended.visible)
    shown = ui.report.describe()
    assert shown is not None
    expected = {
        "en": ["Summary from Alice Martin, Entraide Numérique", "Result: Solved",
               "Is there anything else you need?",
               "The session is over: nobody sees your screen any more."],
        "fr": ["Résumé de Alice Martin, Entraide Numérique", "Résultat : Résolu",
               "Avez-vous besoin d'autre chose ?",
               "La séance est terminée : plus personne ne voit votre écran."],
    }[language]
    for words in expected:
        assert words in texts(shown)
    assert "J'ai vidé la file d'impression" in shown["summary"]
    mandate = {"en": "Installer le scanner (outside the mandate: this needs a new mandate)",
               "fr": "Installer le scanner (hors du mandat : il faudra un nouveau mandat)"}
    assert mandate[language] in shown["summary"]
    assert set(shown["buttons"]) == {"save_pdf", "send", "close"}
    screenshot(screen.display).save(folder / f"report-{language}.png")

    ui.report.note.insert("1.0", "Le scanner aussi, s'il vous plaît")
    ui.report.send()
    assert acts == [ev.SendReportNote("Le scanner aussi, s'il vous plaît")]
    ui.handle(ev.ReportNoteSent())
    ui.root.update()
    sent = {"en": "Sent. Alice Martin will read your note.",
            "fr": "Envoyé. Alice Martin lira votre message."}[language]
    assert sent in texts(ui.report.describe())
    ui.handle(ev.ReportSaved("/home/marie/Résumé de la séance.pdf"))
    ui.root.update()
    saved = {"en": "Saved: /home/marie/Résumé de la séance.pdf",
             "fr": "Enregistré : /home/marie/Résumé de la séance.pdf"}[language]
    assert saved in texts(ui.report.describe())
    screenshot(screen.display).save(folder / f"report-{language}-sent.png")


def test_a_note_too_long_is_refused_in_words(made: list[AgentUi]) -> None:
    acts: list[ev.UserAction] = []
    ui = AgentUi(Translator("agent", "en"), acts.append, trace=UiTrace(None))
    made.append(ui)
    ui.handle(ev.ReportReady(REPORT))
    settle(ui.root, lambda: ui.report.top.winfo_ismapped())
    ui.report.note.insert("1.0", "x" * 2001)
    ui.report.send()
    ui.root.update()
    assert acts == []
    assert "Your note is too long: 2000 characters at most." in texts(ui.report.describe())


def test_without_a_summary_the_notice_closes_as_before(made: list[AgentUi]) -> None:
    ui = AgentUi(Translator("agent", "en"), lambda _a: None, trace=UiTrace(None),
                 ended_notice_ms=20)
    made.append(ui)
    ui.handle(ev.SessionEnded("technician", int(CloseReason.ENDED_BY_TECHNICIAN), "Alice"))
    settle(ui.root, lambda: ui.exit_code is not None)
    assert ui.exit_code == 0
