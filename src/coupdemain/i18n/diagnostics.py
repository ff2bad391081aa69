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


def fill(text: str, params: dict[str, Any]) -> str:
    """Fills ``{name}`` placeholders; unknown ones stay as written."""
    return PLACEHOLDER.sub(
        lambda match: str(params[match[1]]) if match[1] in params else match[0], text
    )


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
        return self(f"finding.{code}", **{str(k): v for k, v in params.items()})
