"""The mandate's terms: checked on the way in, rendered in the person's language, hashed."""

from __future__ import annotations

from datetime import date

import pytest

from coupdemain.protocol.errors import MalformedMessage
from coupdemain.protocol.mandate import PersonRole, Terms, Tool, digest, render

TERMS = Terms(purpose="Installer l'imprimante et vérifier la messagerie.",
              tools=frozenset({Tool.VIEW, Tool.CONTROL}), minutes=45,
              role=PersonRole.FOLLOW_ALONG)


def test_terms_go_to_json_and_back_unchanged() -> None:
    standing = Terms(purpose="Aide mensuelle", tools=frozenset(Tool), minutes=60,
                     role=PersonRole.WATCH, standing_until=date(2027, 6, 30))
    for terms in (TERMS, standing):
        assert Terms.from_json(terms.to_json()) == terms


@pytest.mark.parametrize(("data", "sentence"), [
    ({**TERMS.to_json(), "purpose": "  "},
     "a mandate says what will be done: its purpose is empty"),
    ({**TERMS.to_json(), "tools": ["control"]}, "a mandate allows viewing the screen at least"),
    ({**TERMS.to_json(), "minutes": 0}, "a mandate lasts from 1 to 480 minutes, not 0"),
    ({**TERMS.to_json(), "minutes": True}, "a mandate's duration is a whole number of minutes"),
    ({**TERMS.to_json(), "tools": ["view", "webcam"]},
     "a mandate's tool or role is unknown: 'webcam' is not a valid Tool"),
    ({**TERMS.to_json(), "standing_until": "tomorrow"},
     "a mandate's end date is not a date: 'tomorrow'"),
    ({"purpose": "x"}, "a mandate needs its tools"),
    ([], "a mandate is an object"),
])
def test_bad_terms_are_refused_with_a_sentence(data: object, sentence: str) -> None:
    with pytest.raises(MalformedMessage) as refused:
        Terms.from_json(data)
    assert str(refused.value) == sentence


def test_the_text_is_in_the_persons_language_and_its_digest_binds_it() -> None:
    french = render(TERMS, technician="Alice Martin", organisation="Entraide Numérique",
                    language="fr")
    english = render(TERMS, technician="Alice Martin", organisation="Entraide Numérique",
                     language="en")
    assert french.splitlines()[0] == "Mandat d'intervention à distance"
    assert "Ce qui sera fait : Installer l'imprimante et vérifier la messagerie." in french
    assert ("Ce que l'intervenant peut utiliser : voir votre écran, utiliser votre souris "
            "et votre clavier, quand vous l'autorisez") in french
    assert "Durée : 45 minutes à partir de votre signature" in french
    assert "Your role: you follow along and answer questions" in english
    assert digest(french) != digest(english)
    assert len(digest(french)) == 64
    assert digest(french) == digest(render(TERMS, technician="Alice Martin",
                                           organisation="Entraide Numérique", language="fr"))
