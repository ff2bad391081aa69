"""Who asks to see the screen: Allow viewing / Decline."""

from __future__ import annotations

from .question import QuestionDialog


class ConsentDialog(QuestionDialog):
    """Names the technician and organisation; closing the window declines."""

    name = "consent"
    title_key = "consent.title"
    asks_key = "consent.asks"
    detail_keys = ("consent.scope", "consent.stop")
    yes = ("allow_view", "consent.allow_view")
    no = ("decline", "consent.decline")
