"""The findings of a remote diagnosis as sentences, for the console's session history.

The findings come from the agent, so they are read with care: a finding
that is not an object, an unknown code, or a missing or extra parameter
still gives a sentence, never an error (placeholders without a value stay
as written, like the viewer's ``format``).
"""

from __future__ import annotations

import re
from typing import Any

from . import DEFAULT_LANGUAGE, Translator, catalog

PLACEHOLDER = re.compile(r"\{(\w+)\}")
NUMERIC = re.compile(r"(-?)(\d+)(?:\.(\d+))?")
# How each language writes a number, as the browsers' Intl.NumberFormat does
# (web/viewer/diagnostics.js formats the same findings in the viewer). Two
# languages do not justify a locale library.
DECIMAL_MARK = {"en": ".", "fr": ","}
GROUP_MARK = {"en": ",", "fr": "\u202f"}
# A finding's numeric parameters that name something rather than count it.
IDENTIFIER_PARAMS = frozenset({"pid", "port", "uid", "gid"})


def fill(text: str, params: dict[str, Any]) -> str:
    """Fills ``{name}`` placeholders; unknown ones stay as written."""
    return PLACEHOLDER.sub(
        lambda match: str(params[match[1]]) if match[1] in params else match[0], text
    )


def format_number(value: object, language: str) -> str | None:
    """A number as the language writes it, keeping the decimals it was given.

    Returns:
        "4,5" for ``"4.5"`` in French, "1,234" for ``1234`` in English; None
        when value is not a number (or its digits).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    match = NUMERIC.fullmatch(str(value))
    if match is None:
        return None
    sign, whole, fraction = match.groups()
    language = language if language in DECIMAL_MARK else DEFAULT_LANGUAGE
    grouped = f"{int(whole):,}".replace(",", GROUP_MARK[language])
    return sign + grouped + (DECIMAL_MARK[language] + fraction if fraction else "")


class DiagnosticsTranslator(Translator):
    """The ``diagnostics`` catalog in one language, tolerant of what the agent sent."""

    def __init__(self, language: str) -> None:
        super().__init__("diagnostics", language)

    def __call__(self, key: str, **params: object) -> str:
        text = catalog(self.domain, self.language).get(key)
        if text is None:
            text = catalog(self.domain, DEFAULT_LANGUAGE).get(key, key)
        return fill(text, params)

    def finding(self, finding: object) -> str:
        """One finding (``{"severity", "code", "params"}``) as a sentence."""
        if not isinstance(finding, dict):
            return self("finding.unknown", code="?")
        code = str(finding.get("code", "?"))
        params = finding.get("params")
        params = params if isinstance(params, dict) else {}
        if f"finding.{code}" not in catalog(self.domain, DEFAULT_LANGUAGE):
            return self("finding.unknown", code=code)
        shown = {
            str(name): value if str(name) in IDENTIFIER_PARAMS or str(name).endswith("_id")
            else (format_number(value, self.language) or value)
            for name, value in params.items()
        }
        return self(f"finding.{code}", **shown)
