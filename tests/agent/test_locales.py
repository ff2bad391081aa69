"""The agent's texts: the same keys in every language, placeholders intact."""

from __future__ import annotations

import re

from coupdemain.agent.ui.window import technician_name
from coupdemain.i18n import SUPPORTED_LANGUAGES, Translator, catalog


def test_every_language_has_the_same_keys() -> None:
    english = catalog("agent", "en")
    assert english
    for language in SUPPORTED_LANGUAGES:
        assert set(catalog("agent", language)) == set(english), language


def test_placeholders_match() -> None:
    english = catalog("agent", "en")
    for key, text in catalog("agent", "fr").items():
        assert set(re.findall(r"{\w+}", text)) == set(re.findall(r"{\w+}", english[key])), key


def test_close_reason_sentences() -> None:
    t = Translator("agent", "en")
    assert t("problem.invalid") == "This code is not valid. Check the 9 digits and try again."
    assert t("problem.expired") == "This code has expired. Ask your technician for a new one."
    assert t("problem.rate_limited") == (
        "Too many wrong codes. Wait a few minutes, then try again.")
    assert Translator("agent", "fr")("consent.allow_view") == "Autoriser à voir mon écran"


def test_the_technician_is_named_the_same_way_everywhere() -> None:
    for language in SUPPORTED_LANGUAGES:
        t = Translator("agent", language)
        assert technician_name(t, "Alice Martin", "Entraide Numérique") == (
            "Alice Martin, Entraide Numérique")
        assert technician_name(t, " Alice Martin ", "") == "Alice Martin"
        # Every sentence that names the technician and their organisation does it
        # through the one helper's {who}, never with its own punctuation.
        for key, text in catalog("agent", language).items():
            if "{organisation}" in text:
                assert key.startswith("technician.named"), key
    who = technician_name(Translator("agent", "fr"), "Alice Martin", "Entraide Numérique",
                          subject=True)
    assert Translator("agent", "fr")("consent.asks", who=who) == (
        "Alice Martin, Entraide Numérique, souhaite voir votre écran.")
