"""The documents the server makes as PDF for people to keep: the session's report and the
signed mandate (``pdf.py`` is their common base)."""
