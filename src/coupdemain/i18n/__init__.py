"""The one translation layer: every sentence a person reads goes through here.

Catalogs live in ``locales/<language>/<domain>.json``, one domain per side:
``agent`` (the assisted computer's windows), ``console`` (the server's
pages), ``viewer`` (the technician's in-browser viewer, served to it as
JSON) and ``diagnostics`` (the findings of a remote diagnosis, read both in
the viewer and in the console's session history), ``mandate`` (the
text of a mandate the person signs, rendered by the server in their
language: ``protocol/mandate.py``) and ``documents`` (the PDFs and the
session's report, read by the person and the technician). Placeholders use
``{name}``, the same on the Python and JS sides.
"""

from __future__ import annotations

import json
import os
from functools import cache
from importlib import resources

SUPPORTED_LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
DOMAINS = ("agent", "console", "viewer", "diagnostics", "join", "mandate", "documents")
# The domains a browser may fetch as JSON.
BROWSER_DOMAINS = ("viewer", "diagnostics", "join")


@cache
def catalog(domain: str, language: str) -> dict[str, str]:
    """The messages of one domain in one language (empty if there are none)."""
    if domain not in DOMAINS or language not in SUPPORTED_LANGUAGES:
        return {}
    path = resources.files(__package__).joinpath("locales", language, f"{domain}.json")
    if not path.is_file():
        return {}
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return data


def normalize(language: str | None) -> str:
    """Maps "fr_FR.UTF-8", "fr-CA" or "FR" to a supported language, else the default."""
    if not language:
        return DEFAULT_LANGUAGE
    base = language.replace("_", "-").split("-")[0].split(".")[0].strip().lower()
    return base if base in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def negotiate(accept_language: str | None) -> str:
    """Picks the best supported language from an HTTP Accept-Language header."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        base = tag.split("-")[0].strip().lower()
        if base in SUPPORTED_LANGUAGES and quality > 0:
            ranked.append((-quality, index, base))
    return sorted(ranked)[0][2] if ranked else DEFAULT_LANGUAGE


def system_language() -> str:
    """The language of the assisted computer's session, from the POSIX locale variables."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(variable)
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            return normalize(value.split(":")[0])
    return DEFAULT_LANGUAGE


class Translator:
    """Turns message keys into sentences of one domain and language.

    A key missing in the language falls back to English, then to the key
    itself, so that a gap shows up as a readable key, never as a crash.
    """

    def __init__(self, domain: str, language: str) -> None:
        self.domain = domain
        self.language = normalize(language)

    def __call__(self, key: str, **params: object) -> str:
        text = catalog(self.domain, self.language).get(key)
        if text is None:
            text = catalog(self.domain, DEFAULT_LANGUAGE).get(key, key)
        return text.format(**params) if params else text
