"""The files windows in Tk, in French and English: the question, progress, speed, endings."""

from __future__ import annotations

import gc
import tkinter as tk
from collections.abc import Iterator
from typing import Any

import pytest

from coupdemain.agent.ui import events as ev
from coupdemain.agent.ui.trace import UiTrace
from coupdemain.agent.ui.transfer import (
    FileQuestion,
    FilesWindow,
    final_sentence,
    human_size,
    progress_text,
)
from coupdemain.i18n import Translator

NB = "\u00a0"
FR, EN = Translator("agent", "fr"), Translator("agent", "en")
ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def root(x_display: str) -> Iterator[tk.Tk]:
    window = tk.Tk()
    window.withdraw()
    yield window
    window.destroy()
    # Tk must be freed by the thread that made it. Left to a later garbage
    # collection, it may be freed on another test's thread (a WebSocket
    # client's), and Tcl aborts the whole process.
    del window
    gc.collect()


def texts(window: Any) -> list[str]:
    return [str(label.cget("text")) for label in window.labels if str(label.cget("text"))]


def test_sizes_and_progress_read_naturally() -> None:
    assert human_size(6_300_000, FR) == f"6,3{NB}Mo"
    assert human_size(6_300_000, EN) == "6.3 MB"
    assert human_size(512, EN) == "512 B"
    assert progress_text(3_000_000, 9_000_000, 2.0, EN) == "3.0 MB of 9.0 MB · 1.5 MB/s · 4 s left"
    assert progress_text(3_000_000, 9_000_000, 2.0, FR) == (
        f"3,0{NB}Mo sur 9,0{NB}Mo · 1,5{NB}Mo/s · encore 4{NB}s")


def test_the_question_in_french_then_the_next_one(root: tk.Tk) -> None:
    answers: list[tuple[str, bool, str]] = []
    question = FileQuestion(root, FR, trace=UiTrace(None),
                            on_answer=lambda *answer: answers.append(answer))
    folder = "/home/bob/Téléchargements"
    question.ask(ev.AskFile(ID, "facture.pdf", 1_234_567, "Alice Martin", folder))
    question.ask(ev.AskFile("f" * 32, "photo.jpg", 10, "Alice Martin", folder))
    shown = texts(question)
    assert "Alice Martin souhaite vous envoyer un fichier." in shown
    assert f"facture.pdf (1,2{NB}Mo)" in shown
    assert f"Il sera enregistré dans{NB}: /home/bob/Téléchargements" in shown
    question.answer(True)
    assert answers == [(ID, True, "/home/bob/Téléchargements")]
    assert f"photo.jpg (10{NB}o)" in texts(question)  # the next file is asked at once
    question.withdraw_offer("f" * 32)  # the technician cancelled it
    assert not question.visible
    assert answers == [(ID, True, "/home/bob/Téléchargements")]


def test_the_files_window_shows_progress_then_what_became_of_it(root: tk.Tk) -> None:
    cancelled: list[str] = []
    files = FilesWindow(root, EN, trace=UiTrace(None), on_cancel=cancelled.append)
    files.start(ev.FileStarted(ID, "film.mkv", 10_000_000, "to_person", "/home/bob/Downloads"))
    files.progress(ev.FileProgress(ID, 4_000_000, 2.0))
    assert "4.0 MB of 10 MB · 2.0 MB/s · 3 s left" in texts(files)
    files.buttons[f"cancel_{ID[:8]}"].invoke()
    assert cancelled == [ID]
    files.update_state(ev.FileUpdate(ID, "cancelled", by="technician"))
    assert "Your technician cancelled this transfer." in texts(files)
    assert f"cancel_{ID[:8]}" not in files.buttons


def test_endings_in_words() -> None:
    assert final_sentence(ev.FileUpdate(ID, "failed", reason="disk_full"), EN) == (
        "The transfer failed: there is not enough space on the disk. "
        "Free some space, then try again.")
    assert final_sentence(ev.FileUpdate(ID, "failed", reason="checksum"), FR) == (
        f"Le transfert a échoué{NB}: le fichier est arrivé abîmé (son contenu ne correspond pas). "
        "Rien n’a été gardé.")
    assert final_sentence(ev.FileUpdate(ID, "refused", by="server", reason="name_path"), EN) == (
        "Not sent: its name contains a folder (like ../), which could put it outside the "
        "chosen folder.")
    assert final_sentence(ev.FileUpdate(ID, "delivered", path="/x/a.txt"), EN) == (
        "Saved as /x/a.txt. Its content was checked.")
