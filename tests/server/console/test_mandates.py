"""The mandate in the console and the API, in process: written, refused, templates, the PDF.

The person's signature is another part's work (the rendezvous stores it);
here the ``MandateSignature`` row is written directly, as it would be.
"""

from __future__ import annotations

import html
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from coupdemain.protocol import mandate
from coupdemain.server.store.models import (
    Mandate,
    MandateSignature,
    MandateTemplate,
    Organisation,
    SupportSession,
)
from tests.server.test_sockets import hello, receive
from tests.support.app import InProcessServer

TERMS = {"purpose": "Installer l'imprimante du salon", "tools": ["view", "control"],
         "minutes": 45, "role": "follow_along", "standing_until": ""}
ENGLISH = {"Accept-Language": "en"}
EXTENSION = "Extension: 15 more minutes, and sending files to your computer"


def run(app: InProcessServer, job: Any, *args: Any) -> Any:
    """Runs a coroutine function on the application's own event loop (its database)."""
    portal = app.client.portal
    assert portal is not None
    return portal.call(job, *args)


def services(app: InProcessServer) -> Any:
    return app.client.app.state.services  # type: ignore[attr-defined]


def api_issue(app: InProcessServer, body: dict[str, Any] | None, who: str = "alice") -> Any:
    sign_in = app.people[who]
    return app.client.post("/api/sessions", json=body,
                           headers={**sign_in.headers, "X-CSRF-Token": sign_in.csrf})


def session_row(app: InProcessServer, session_id: str) -> SupportSession:
    async def load() -> SupportSession | None:
        async with services(app).db() as s:
            return await s.get(SupportSession, session_id)

    row = run(app, load)
    assert row is not None
    return row


def pdf_text(data: bytes) -> str:
    """The PDF's text with its whitespace normalised (lines wrap where the page says)."""
    assert data.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def flat(text: str) -> str:
    return " ".join(text.split())


def sign(app: InProcessServer, session_id: str, language: str, signer: str,
         drawing: bytes | None = None) -> MandateSignature:
    """Stores the person's signature as the rendezvous does when they sign."""
    row = session_row(app, session_id)

    async def store() -> MandateSignature:
        async with services(app).db.begin() as s:
            bound = await s.get(Mandate, row.mandate_id)
            assert bound is not None
            text = mandate.render(mandate.Terms.from_json(bound.terms),
                                  technician="Alice Martin", organisation="Entraide Numérique",
                                  language=language)
            signed = MandateSignature(
                mandate_id=bound.id, session_id=session_id, kind="mandate", text=text,
                sha256=mandate.digest(text), language=language, signer_name=signer,
                drawing_png=drawing, signed_at=datetime(2026, 3, 14, 9, 30, tzinfo=UTC))
            s.add(signed)
        return signed

    result: MandateSignature = run(app, store)
    return result


def a_drawing() -> bytes:
    image = Image.new("L", (300, 100), 255)
    image.paste(0, (20, 45, 280, 55))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


# --- writing the mandate ------------------------------------------------------------------


def test_the_api_binds_the_session_to_the_mandate_written(app: InProcessServer) -> None:
    response = api_issue(app, {"mandate": TERMS})
    assert response.status_code == 200, response.text
    session_id = response.json()["session_id"]
    row = session_row(app, session_id)
    assert row.mandate_id is not None

    async def load() -> Mandate | None:
        async with services(app).db() as s:
            return await s.get(Mandate, row.mandate_id)

    stored = run(app, load)
    assert stored.terms == TERMS and stored.technician.display_name == "Alice Martin"
    events = app.client.get(f"/api/sessions/{session_id}/events",
                            headers=app.people["alice"].headers).json()
    assert [e["action"] for e in events] == ["code_issued", "mandate_written"]
    assert events[1]["detail"]["purpose"] == "Installer l'imprimante du salon"


def test_the_api_refuses_a_bad_mandate_with_its_sentence(app: InProcessServer) -> None:
    response = api_issue(app, {"mandate": {**TERMS, "minutes": 0}})
    assert (response.status_code, response.json()) == (
        400, {"error": "a mandate lasts from 1 to 480 minutes, not 0"})
    response = api_issue(app, {"mandate": {**TERMS, "tools": ["control"]}})
    assert response.json() == {"error": "a mandate allows viewing the screen at least"}


def test_a_session_without_a_mandate_is_audited_as_such(app: InProcessServer) -> None:
    session_id = api_issue(app, None).json()["session_id"]
    assert session_row(app, session_id).mandate_id is None
    page = app.client.get(f"/sessions/{session_id}/history",
                          headers={**app.people["alice"].headers, **ENGLISH}).text
    assert "This session had no mandate." in page
    assert "Session without a mandate" in page


def set_required(app: InProcessServer, required: bool) -> None:
    sign_in = app.people["root"]
    response = app.client.post(
        "/organisation/mandate-required", headers=sign_in.headers, follow_redirects=False,
        data={"csrf_token": sign_in.csrf, **({"mandate_required": "on"} if required else {})})
    assert response.status_code == 303


def test_the_organisation_setting_forces_a_mandate(app: InProcessServer) -> None:
    set_required(app, True)
    response = api_issue(app, None)
    assert (response.status_code, response.json()) == (
        400, {"error": "the organisation needs a mandate for every session"})
    # The console's form has no button without a mandate, and refuses one forged.
    alice = app.people["alice"]
    index = app.client.get("/", headers={**alice.headers, **ENGLISH}).text
    assert 'id="help-someone"' not in index
    assert "Your organisation needs a mandate signed by the person for every session." in index
    refused = app.client.post("/sessions", headers={**alice.headers, **ENGLISH},
                              data={"csrf_token": alice.csrf, "mandate": "none",
                                    "purpose": "Vérifier la messagerie"})
    assert refused.status_code == 400
    assert ("Your organisation needs a mandate for every session: write one above, "
            "or start from a template.") in refused.text
    assert "Vérifier la messagerie</textarea>" in refused.text
    # Another organisation is not bound by it.
    assert api_issue(app, None, who="other").status_code == 200
    set_required(app, False)
    assert api_issue(app, None).status_code == 200


def test_the_console_form_keeps_what_was_typed_when_refused(app: InProcessServer) -> None:
    alice = app.people["alice"]
    refused = app.client.post("/sessions", headers={**alice.headers, **ENGLISH}, data={
        "csrf_token": alice.csrf, "mandate": "write", "purpose": "Sauvegarder les photos",
        "tools": ["view", "files_to_technician"], "minutes": "600", "role": "do_steps",
        "covers": "once"})
    assert refused.status_code == 400
    assert "A mandate lasts from 1 to 480 minutes, not 600." in refused.text
    assert "Sauvegarder les photos</textarea>" in refused.text
    assert 'id="tool-files_to_technician" checked' in refused.text
    assert 'id="role-do_steps" checked' in refused.text
    assert 'value="600"' in refused.text


def test_a_standing_mandate_needs_its_date_and_is_offered_again(app: InProcessServer) -> None:
    alice = app.people["alice"]
    form = {"csrf_token": alice.csrf, "mandate": "write", "purpose": "Aide du mardi",
            "tools": ["view"], "minutes": "60", "role": "watch", "covers": "standing"}
    refused = app.client.post("/sessions", headers={**alice.headers, **ENGLISH}, data=form)
    assert "A standing mandate needs the date it ends." in refused.text
    given = app.client.post("/sessions", headers=alice.headers, follow_redirects=False,
                            data={**form, "standing_until": "2099-06-30"})
    assert given.status_code == 303
    first = session_row(app, given.headers["location"].rsplit("/", 1)[1])
    index = app.client.get("/", headers={**alice.headers, **ENGLISH}).text
    assert "Aide du mardi — until 2099-06-30" in index and "not signed yet" in index
    again = app.client.post("/sessions", headers=alice.headers, follow_redirects=False, data={
        "csrf_token": alice.csrf, "mandate": "standing",
        "standing_mandate_id": str(first.mandate_id)})
    second = session_row(app, again.headers["location"].rsplit("/", 1)[1])
    assert second.mandate_id == first.mandate_id and second.id != first.id


# --- templates and the setting: admins only -------------------------------------------------


@pytest.mark.parametrize("page", ["/mandate-templates"])
def test_a_technician_cannot_reach_the_templates(app: InProcessServer, page: str) -> None:
    bob = app.people["bob"]
    response = app.client.get(page, headers={**bob.headers, **ENGLISH})
    assert response.status_code == 403
    assert ("Only your organisation's admins manage mandate templates and the mandate "
            "setting.") in html.unescape(response.text)
    posted = app.client.post("/organisation/mandate-required", headers=bob.headers,
                             data={"csrf_token": bob.csrf, "mandate_required": "on"})
    assert posted.status_code == 403
    created = app.client.post("/mandate-templates", headers=bob.headers, data={
        "csrf_token": bob.csrf, "name": "x", "purpose": "x", "minutes": "5", "role": "watch"})
    assert created.status_code == 403


def test_templates_need_the_csrf_token(app: InProcessServer) -> None:
    root = app.people["root"]
    response = app.client.post("/mandate-templates", headers=root.headers, data={
        "csrf_token": "forged", "name": "x", "purpose": "x", "minutes": "5", "role": "watch"})
    assert response.status_code == 403


def test_an_admin_manages_templates_that_prefill_the_form(app: InProcessServer) -> None:
    root = app.people["root"]
    fields = {"csrf_token": root.csrf, "name": "Imprimante", "purpose": "Installer l'imprimante",
              "tools": ["view", "control", "diagnostics"], "minutes": "40", "role": "watch"}
    refused = app.client.post("/mandate-templates", headers={**root.headers, **ENGLISH},
                              data={**fields, "name": " "})
    assert refused.status_code == 400 and "Give the template a name." in refused.text
    assert "Installer l&#39;imprimante</textarea>" in refused.text
    created = app.client.post("/mandate-templates", headers=root.headers, data=fields,
                              follow_redirects=False)
    assert created.status_code == 303

    async def templates() -> list[MandateTemplate]:
        async with services(app).db() as s:
            return list(await s.scalars(select(MandateTemplate)))

    [template] = run(app, templates)
    assert template.name == "Imprimante" and template.terms["minutes"] == 40
    # A technician of the organisation picks it: the form comes filled.
    bob = app.people["bob"]
    index = app.client.get(f"/?template={template.id}", headers={**bob.headers, **ENGLISH}).text
    assert "Installer l&#39;imprimante</textarea>" in index
    assert 'value="40"' in index and 'id="tool-diagnostics" checked' in index
    # Another organisation's admin neither sees nor changes it.
    other = app.people["other"]
    assert "Imprimante" not in app.client.get("/mandate-templates", headers=other.headers).text
    assert app.client.post(f"/mandate-templates/{template.id}/delete", headers=other.headers,
                           data={"csrf_token": other.csrf}).status_code == 404
    assert len(run(app, templates)) == 1
    # Edited, then deleted.
    app.client.post(f"/mandate-templates/{template.id}", headers=root.headers,
                    data={**fields, "minutes": "20"})
    assert run(app, templates)[0].terms["minutes"] == 20
    app.client.post(f"/mandate-templates/{template.id}/delete", headers=root.headers,
                    data={"csrf_token": root.csrf})
    assert run(app, templates) == []


def test_the_setting_is_the_organisations(app: InProcessServer) -> None:
    set_required(app, True)

    async def required() -> dict[str, bool]:
        async with services(app).db() as s:
            return {o.name: o.mandate_required for o in await s.scalars(select(Organisation))}

    assert run(app, required) == {"Entraide Numérique": True, "Autre Association": False}


# --- the PDF ------------------------------------------------------------------------------


def test_the_console_downloads_the_pdf_of_what_was_signed(app: InProcessServer) -> None:
    session_id = api_issue(app, {"mandate": TERMS}).json()["session_id"]
    pdf_url = f"/sessions/{session_id}/mandate.pdf"
    before = app.client.get(pdf_url, headers={**app.people["alice"].headers, **ENGLISH})
    assert before.status_code == 404
    assert "This session has no signed mandate, so there is no PDF to download." in before.text
    signed = sign(app, session_id, "fr", "Élodie Müller", a_drawing())
    assert signed.text.startswith("Mandat d'intervention à distance")
    response = app.client.get(pdf_url, headers=app.people["root"].headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    assert flat(signed.text) in text
    assert signed.sha256 in text
    assert "Signé par : Élodie Müller" in text
    assert "Intervenant : Alice Martin" in text and "Organisation : Entraide Numérique" in text
    assert "Signé le 14/03/2026" in text and "(UTC : 14/03/2026 09:30:00 UTC)" in text
    assert "Signature dessinée :" in text
    assert len(PdfReader(io.BytesIO(response.content)).pages[0].images) == 1
    # Those who may not see the session get nothing.
    assert app.client.get(pdf_url, headers=app.people["bob"].headers).status_code == 404
    # The history shows the same: text, hash, signer, the drawing, the link.
    page = app.client.get(f"/sessions/{session_id}/history",
                          headers={**app.people["alice"].headers, **ENGLISH}).text
    assert signed.sha256 in page and "Signed by Élodie Müller" in page
    assert 'class="drawn-signature"' in page and 'href="' + pdf_url + '"' in page


def test_an_extension_follows_the_mandate_in_the_pdf(app: InProcessServer) -> None:
    session_id = api_issue(app, {"mandate": TERMS}).json()["session_id"]
    first = sign(app, session_id, "en", "Marie Curie")

    async def extend() -> None:
        async with services(app).db.begin() as s:
            s.add(MandateSignature(
                mandate_id=first.mandate_id, session_id=session_id, kind="extension",
                text=EXTENSION, sha256=mandate.digest(EXTENSION),
                language="en", signer_name="Marie Curie",
                signed_at=datetime(2026, 3, 14, 10, 10, tzinfo=UTC)))

    run(app, extend)
    text = pdf_text(app.client.get(f"/sessions/{session_id}/mandate.pdf",
                                   headers=app.people["alice"].headers).content)
    assert text.index(flat(first.text)) < text.index("Extension 1, signed after the mandate")
    assert EXTENSION in text and mandate.digest(EXTENSION) in text
    assert "No signature was drawn: the name was typed." in text


def test_the_agent_gets_the_pdf_with_its_resume_secret(app: InProcessServer) -> None:
    issued = api_issue(app, {"mandate": TERMS}).json()
    with app.client.websocket_connect("/ws/agent") as agent:
        agent.send_text(hello(code=issued["code"], hostname="pc-de-marie"))
        secret = receive(agent, "welcome")["resume"]
        url = "/api/agent/mandate.pdf"
        missing = app.client.get(url)
        assert (missing.status_code, missing.json()) == (401, {
            "error": "send the session's resume secret: Authorization: Bearer <secret>"})
        wrong = app.client.get(url, headers={"Authorization": "Bearer not-the-secret"})
        assert (wrong.status_code, wrong.json()) == (401, {"error": "this secret opens no session"})
        unsigned = app.client.get(url, headers={"Authorization": f"Bearer {secret}"})
        assert (unsigned.status_code, unsigned.json()) == (404, {
            "error": "the person has not signed this session's mandate yet"})
        signed = sign(app, issued["session_id"], "fr", "Élodie Müller")
        response = app.client.get(url, headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 200
        assert signed.sha256 in pdf_text(response.content)
