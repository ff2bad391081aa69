"""The technician asks to read the computer's settings: Allow reading / Decline."""

from __future__ import annotations

from .question import QuestionDialog


class DiagnosticsDialog(QuestionDialog):
    """Says what is read and that nothing is changed; closing the window declines."""

    name = "diagnostics"
    title_key = "diagnostics.title"
    asks_key = "diagnostics.asks"
    detail_keys = ("diagnostics.scope", "diagnostics.record")
    yes = ("allow_diagnostics", "diagnostics.allow")
    no = ("decline_diagnostics", "diagnostics.decline")
