"""The mandate in the session machine: offered, signed or refused, binding the tools, timed."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from coupdemain.protocol import messages as m
from coupdemain.protocol.enums import PersonRole, Tool, ViewAnswer
from coupdemain.protocol.errors import CloseReason, MessageTooLarge, NotAllowed
from coupdemain.protocol.mandate import Terms, digest, render
from coupdemain.protocol.session import Person, Role, State, SupportSession

TERMS = Terms(purpose="Installer l'imprimante", tools=frozenset({Tool.VIEW, Tool.FILES_TO_PERSON}),
              minutes=30, role=PersonRole.FOLLOW_ALONG)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def png(width: int = 40, height: int = 20) -> str:
    out = io.BytesIO()
    Image.new("L", (width, height), 255).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def offered(language: str = "fr", terms: Terms = TERMS) -> tuple[SupportSession, Clock]:
    clock = Clock()
    session = SupportSession("s1", "Alice Martin", "Entraide", 5000.0, technician_id=7,
                             clock=clock)
    session.viewer_joined()
    session.bind_mandate(terms)
    session.data_to_send()
    session.agent_joined(Person("pc", "Linux", "marie"), language=language)
    return session, clock


def signed(terms: Terms = TERMS) -> tuple[SupportSession, Clock]:
    session, clock = offered(terms=terms)
    offer = next(o.message for o in session.data_to_send() if isinstance(o.message, m.MandateOffer))
    session.receive_from_agent(m.MandateSign(offer.sha256, "Marie Curie", png()))
    session.receive_from_agent(m.Consent(ViewAnswer.ALLOW_VIEW))
    session.data_to_send()
    session.audit_records()
    session.signatures()
    return session, clock


def test_the_person_is_offered_the_mandate_in_their_language_before_anything() -> None:
    session, _ = offered("fr_FR.UTF-8")
    text = render(TERMS, technician="Alice Martin", organisation="Entraide", language="fr")
    out = session.data_to_send()
    to_agent = [o.message for o in out if o.to is Role.AGENT]
    assert isinstance(to_agent[0], m.Welcome) and to_agent[0].mandate is True
    assert to_agent[1] == m.MandateOffer("mandate", text, digest(text),
                                         ["view", "files_to_person"], 30)
    assert m.MandateState(digest(text), ["view", "files_to_person"], 0.0) in [
        o.message for o in out if o.to is Role.VIEWER]
    assert [(r.action, r.detail) for r in session.audit_records()] == [
        ("code_used", {"hostname": "pc", "user": "marie"}),
        ("mandate_offered", {"sha256": digest(text), "language": "fr", "minutes": 30,
                             "tools": ["view", "files_to_person"]}),
    ]


def test_consent_is_refused_until_the_mandate_is_signed() -> None:
    session, _ = offered()
    with pytest.raises(NotAllowed) as refused:
        session.receive_from_agent(m.Consent(ViewAnswer.ALLOW_VIEW))
    assert str(refused.value) == (
        "the person is asked to share their screen once they have signed the mandate")
    assert session.state is State.WAITING_FOR_CONSENT


def test_signing_stores_the_exact_text_and_starts_the_time() -> None:
    session, clock = offered()
    offer = next(o.message for o in session.data_to_send() if isinstance(o.message, m.MandateOffer))
    session.audit_records()
    drawing = png()
    session.receive_from_agent(m.MandateSign(offer.sha256, "  Marie   Curie ", drawing))
    state = m.MandateState(offer.sha256, ["view", "files_to_person"], 1000.0 + 30 * 60,
                           "Marie Curie")
    assert [(o.to, o.message) for o in session.data_to_send()] == [
        (Role.VIEWER, state), (Role.AGENT, state)]
    [signature] = session.signatures()
    assert (signature.kind, signature.text, signature.sha256, signature.signer_name,
            signature.language, signature.signed_at) == (
        "mandate", offer.text, digest(offer.text), "Marie Curie", "fr", 1000.0)
    assert signature.drawing_png == base64.b64decode(drawing)
    assert [(r.actor, r.action, r.detail) for r in session.audit_records()] == [
        ("person", "mandate_signed", {"sha256": offer.sha256, "signer": "Marie Curie",
                                      "drawing": True, "ends_at": 2800.0})]
    session.receive_from_agent(m.MandateSign(offer.sha256, "Marie Curie"))  # a second click
    assert session.signatures() == [] and session.audit_records() == []
    session.receive_from_agent(m.Consent(ViewAnswer.ALLOW_VIEW))
    assert session.state is State.VIEWING


def test_refusing_the_mandate_ends_the_session() -> None:
    session, _ = offered()
    offer = next(o.message for o in session.data_to_send() if isinstance(o.message, m.MandateOffer))
    session.receive_from_agent(m.MandateRefuse(offer.sha256))
    assert (session.state, session.end_reason) == (State.ENDED, CloseReason.MANDATE_REFUSED)
    assert m.Ended("person", int(CloseReason.MANDATE_REFUSED)) in [
        o.message for o in session.data_to_send() if o.to is Role.VIEWER]
    assert [r.action for r in session.audit_records()][-2:] == [
        "mandate_refused", "session_ended"]


@pytest.mark.parametrize(("sign", "sentence"), [
    (m.MandateSign("0" * 64, "Marie"), "the signature is for another text than the one offered"),
    (m.MandateSign("", "   "), "a mandate is signed with the person's name, and it is empty"),
    (m.MandateSign("", "M" * 201), "a signer's name has at most 200 characters"),
    (m.MandateSign("", "Marie", "not base64!"), "the drawn signature is not base64"),
    (m.MandateSign("", "Marie", base64.b64encode(b"GIF89a....").decode()),
     "the drawn signature is not a PNG image"),
    (m.MandateSign("", "Marie", base64.b64encode(b"\x89PNG" + bytes(300_000)).decode()),
     "a drawn signature is at most 256 KiB"),
])
def test_a_bad_signature_is_refused_with_a_sentence(sign: m.MandateSign, sentence: str) -> None:
    session, _ = offered()
    offer = next(o.message for o in session.data_to_send() if isinstance(o.message, m.MandateOffer))
    if not sign.sha256:
        sign = m.MandateSign(offer.sha256, sign.name, sign.drawing)
    with pytest.raises(NotAllowed) as refused:
        session.receive_from_agent(sign)
    assert str(refused.value) == sentence
    assert session.signatures() == []
    assert session.mandate is not None and not session.mandate.signed


def test_a_signature_or_a_refusal_without_an_offer_is_refused() -> None:
    session = SupportSession("s1", "Alice Martin", "Entraide", 5000.0)
    session.agent_joined(Person("pc"))
    with pytest.raises(NotAllowed) as refused:
        session.receive_from_agent(m.MandateSign("a" * 64, "Marie"))
    assert str(refused.value) == "no mandate waits for the person's signature"
    with pytest.raises(NotAllowed) as refused:
        session.receive_from_agent(m.MandateRefuse("a" * 64))
    assert str(refused.value) == "no text with this SHA-256 waits for the person's answer"


@pytest.mark.parametrize(("message", "tool", "sentence"), [
    (m.RequestControl(), "control", "the mandate the person signed does not allow control of "
     "the person's computer: ask them to sign an extension first"),
    (m.DiagnosticsRequest(), "diagnostics", "the mandate the person signed does not allow "
     "reading the computer's diagnostics: ask them to sign an extension first"),
])
def test_a_tool_outside_the_mandate_is_refused_and_recorded(
    message: m.Message, tool: str, sentence: str,
) -> None:
    session, _ = signed()
    with pytest.raises(NotAllowed) as refused:
        session.receive_from_viewer(message)
    assert str(refused.value) == sentence
    assert session.state is State.VIEWING
    assert session.data_to_send() == []
    [record] = session.audit_records()
    assert (record.actor, record.action, record.detail) == (
        "technician", "tool_refused", {"tool": tool})
    assert record.technician is not None and record.technician.name == "Alice Martin"


def test_files_go_only_the_way_the_mandate_allows() -> None:
    session, _ = signed()
    session.receive_from_viewer(m.FileOffer("a" * 32, "notice.pdf", 10))  # allowed: to the person
    assert [r.action for r in session.audit_records()] == ["file_offered"]
    session.receive_from_agent(m.FileOffer("b" * 32, "photo.jpg", 10, sha256="c" * 64))
    assert [(o.to, o.message) for o in session.data_to_send()
            if isinstance(o.message, m.FileStatus) and o.message.id == "b" * 32] == [
        (Role.AGENT, m.FileStatus("b" * 32, "refused", "server", "direction"))]
    assert [(r.actor, r.action, r.detail) for r in session.audit_records()] == [
        ("person", "tool_refused", {"tool": "files_to_technician"})]


def test_the_warning_then_the_end_come_with_the_clock() -> None:
    session, clock = signed()
    session.mandate_minute = 1.0  # a mandate minute lasts a second: 30 s, the warning at 25 s
    assert session.mandate is not None
    session.mandate.ends_at = clock.now + 30
    session.tick(clock.now + 24.9)
    assert session.data_to_send() == []
    session.tick(clock.now + 25)
    session.tick(clock.now + 26)  # warned once
    warning = [o for o in session.data_to_send()]
    assert [(o.to, o.message.warning) for o in warning  # type: ignore[attr-defined]
            ] == [(Role.VIEWER, True), (Role.AGENT, True)]
    session.tick(clock.now + 30)
    assert (session.state, session.end_reason) == (State.ENDED, CloseReason.MANDATE_EXPIRED)
    assert m.Ended("server", int(CloseReason.MANDATE_EXPIRED)) in [
        o.message for o in session.data_to_send() if o.to is Role.AGENT]
    assert [r.action for r in session.audit_records()] == [
        "mandate_warning", "mandate_expired", "session_ended"]


def test_an_extension_signed_adds_time_and_a_tool() -> None:
    session, clock = signed()
    session.receive_from_viewer(m.MandateExtend(15, ["control", "view"]))
    [(to, offer)] = [(o.to, o.message) for o in session.data_to_send()]
    assert to is Role.AGENT and isinstance(offer, m.MandateOffer)
    assert offer.text.splitlines() == [
        "Prolongation du mandat d'intervention à distance", "",
        "Organisation : Entraide", "Intervenant : Alice Martin",
        "Plus de temps : 15 minutes de plus",
        "Autorisé en plus : utiliser votre souris et votre clavier, quand vous l'autorisez",
        "", "Tout le reste est inchangé, tel que vous l'avez signé.", "",
        render(TERMS, technician="A", organisation="E", language="fr").splitlines()[-1],
    ]
    assert (offer.kind, offer.tools, offer.minutes, offer.ends_at) == (
        "extension", ["view", "control", "files_to_person"], 15, 1000.0 + 45 * 60)
    with pytest.raises(NotAllowed) as refused:
        session.receive_from_viewer(m.MandateExtend(5))
    assert str(refused.value) == "an extension already waits for the person's answer"
    session.receive_from_agent(m.MandateSign(offer.sha256, "Marie Curie"))
    state = m.MandateState(offer.sha256, ["view", "control", "files_to_person"], 3700.0,
                           "Marie Curie")
    assert [o.message for o in session.data_to_send()] == [state, state]
    [signature] = session.signatures()
    assert (signature.kind, signature.text, signature.drawing_png) == (
        "extension", offer.text, None)
    assert [(r.action, r.detail) for r in session.audit_records()] == [
        ("mandate_extension_offered", {"sha256": offer.sha256, "minutes": 15,
                                       "tools": ["control"]}),
        ("mandate_extended", {"sha256": offer.sha256, "signer": "Marie Curie", "drawing": False,
                              "ends_at": 3700.0, "minutes": 15, "tools": ["control"]}),
    ]
    session.receive_from_viewer(m.RequestControl())  # now allowed
    assert session.state is State.CONTROL_REQUESTED


def test_an_extension_refused_leaves_the_mandate_and_says_so() -> None:
    session, _ = signed()
    session.receive_from_viewer(m.MandateExtend(0, ["diagnostics"]))
    offer = session.data_to_send()[0].message
    assert isinstance(offer, m.MandateOffer)
    session.receive_from_agent(m.MandateRefuse(offer.sha256))
    assert [o.message for o in session.data_to_send()] == [
        m.MandateState(session.mandate.sha256 if session.mandate else "",
                       ["view", "files_to_person"], 2800.0, "Marie Curie",
                       extension_refused=True)] * 2
    assert [(r.actor, r.action, r.detail) for r in session.audit_records()][1:] == [
        ("person", "mandate_extension_refused",
         {"sha256": offer.sha256, "minutes": 0, "tools": ["diagnostics"]})]
    assert session.state is State.VIEWING
    with pytest.raises(NotAllowed):
        session.receive_from_viewer(m.DiagnosticsRequest())


@pytest.mark.parametrize(("extend", "sentence"), [
    (m.MandateExtend(-1), "an extension adds from 0 to 480 minutes, not -1"),
    (m.MandateExtend(481), "an extension adds from 0 to 480 minutes, not 481"),
    (m.MandateExtend(5, ["webcam"]),
     "an extension adds tools among clipboard, control, diagnostics, files_to_person, "
     "files_to_technician, recording, view, not 'webcam'"),
    (m.MandateExtend(0, ["view"]),
     "an extension adds time or a tool the mandate does not allow yet"),
])
def test_a_bad_extension_is_refused_with_a_sentence(extend: m.MandateExtend, sentence: str) -> None:
    session, _ = signed()
    with pytest.raises(NotAllowed) as refused:
        session.receive_from_viewer(extend)
    assert str(refused.value) == sentence
    assert session.data_to_send() == [] and session.state is State.VIEWING


def test_an_extension_needs_a_signed_mandate() -> None:
    plain = SupportSession("s1", "Alice Martin", "Entraide", 5000.0)
    with pytest.raises(NotAllowed) as refused:
        plain.receive_from_viewer(m.MandateExtend(5))
    assert str(refused.value) == "this session has no mandate to extend"
    session, _ = offered()
    with pytest.raises(NotAllowed) as refused:
        session.receive_from_viewer(m.MandateExtend(5))
    assert str(refused.value) == "the person has not signed the mandate yet: nothing to extend"


def test_a_standing_mandate_signed_before_binds_without_an_offer() -> None:
    clock = Clock()
    session = SupportSession("s1", "Alice Martin", "Entraide", 5000.0, clock=clock)
    session.bind_mandate(TERMS, signed_by="Marie Curie", sha256="e" * 64)
    session.agent_joined(Person("pc"), language="en")
    out = session.data_to_send()
    assert not any(isinstance(o.message, m.MandateOffer) for o in out)
    state = m.MandateState("e" * 64, ["view", "files_to_person"], 2800.0, "Marie Curie")
    assert [o.to for o in out if o.message == state] == [Role.VIEWER, Role.AGENT]
    assert [r.action for r in session.audit_records()] == ["code_used", "mandate_standing"]
    session.receive_from_agent(m.Consent(ViewAnswer.ALLOW_VIEW))
    assert session.state is State.VIEWING


def test_a_resumed_agent_is_offered_the_mandate_again_or_told_it() -> None:
    session, _ = offered()
    offer = next(o.message for o in session.data_to_send() if isinstance(o.message, m.MandateOffer))
    session.agent_lost()
    session.agent_resumed()
    assert offer in [o.message for o in session.data_to_send() if o.to is Role.AGENT]
    session.receive_from_agent(m.MandateSign(offer.sha256, "Marie"))
    session.agent_lost()
    session.data_to_send()
    session.agent_resumed()
    sent = [o.message for o in session.data_to_send() if o.to is Role.AGENT]
    assert not any(isinstance(message, m.MandateOffer) for message in sent)
    assert any(isinstance(message, m.MandateState) and message.signed_by == "Marie"
               for message in sent)


def test_a_session_without_a_mandate_is_unchanged() -> None:
    session = SupportSession("s1", "Alice Martin", "Entraide", 5000.0)
    session.agent_joined(Person("pc"))
    welcome = session.data_to_send()[0].message
    assert isinstance(welcome, m.Welcome) and welcome.mandate is False
    session.receive_from_agent(m.Consent(ViewAnswer.ALLOW_VIEW))
    session.viewer_joined()
    session.receive_from_viewer(m.RequestControl())
    session.tick(10**12)
    assert session.state is State.CONTROL_REQUESTED


def test_only_a_signature_may_be_larger_than_other_messages() -> None:
    drawing = base64.b64encode(bytes(100_000)).decode()
    sign = m.serialize(m.MandateSign("a" * 64, "Marie", drawing))
    assert m.parse(sign, m.AGENT_SENDS) == m.MandateSign("a" * 64, "Marie", drawing)
    for text in (m.serialize(m.Chat("x" * 70_000)), "x" * 70_000,
                 sign.replace("a" * 64, "a" * 300_000)):
        with pytest.raises(MessageTooLarge):
            m.parse(text, m.AGENT_SENDS)
