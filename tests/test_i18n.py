from __future__ import annotations

import re

import pytest

from coupdemain import i18n


@pytest.mark.parametrize("domain", i18n.DOMAINS)
def test_french_and_english_have_the_same_keys_and_placeholders(domain: str) -> None:
    english, french = i18n.catalog(domain, "en"), i18n.catalog(domain, "fr")
    assert english, f"the {domain} catalog is empty"
    assert english.keys() == french.keys()
    for key, text in english.items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", french[key])), key


@pytest.mark.parametrize(
    ("header", "expected"),
    [("fr-FR,fr;q=0.9,en;q=0.8", "fr"), ("en-GB,fr;q=0.5", "en"), ("de-DE", "en"),
     ("de;q=1, fr;q=0.4", "fr"), ("", "en"), ("fr;q=0", "en")],
)
def test_negotiate(header: str, expected: str) -> None:
    assert i18n.negotiate(header) == expected


def test_system_language(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert i18n.system_language() == "fr"
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    assert i18n.system_language() == "fr"


def test_missing_key_falls_back_to_the_key() -> None:
    assert i18n.Translator("console", "fr")("no.such.key") == "no.such.key"
