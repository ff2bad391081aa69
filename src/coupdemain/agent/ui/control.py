"""The technician asks for control: Allow control / Keep view only."""

from __future__ import annotations

from .question import QuestionDialog


class ControlDialog(QuestionDialog):
    """Closing the window keeps view only, which is also the default button."""

    name = "control"
    title_key = "control.title"
    asks_key = "control.asks"
    detail_keys = ("control.scope",)
    yes = ("allow_control", "control.allow_control")
    no = ("keep_view_only", "control.keep_view_only")
    cautious_is_default = True
