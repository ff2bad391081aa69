"""The mandate in the console, in Chromium against the real server: what the technician does.

A technician writes the mandate from a template and adjusts it before the
code; a bad duration comes back with its sentence and nothing typed lost;
an admin keeps the templates and makes a mandate necessary; a technician
cannot open the templates page; the history shows what the person signed
and downloads it as a PDF. The person's signature is another part's work:
the test writes its row in the server's database, as the rendezvous does.

Screenshots at 1024x768, in French and English, go to ``COUPDEMAIN_SHOTS``
if set (else the test's folder), to be looked at.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from coupdemain.protocol import mandate
from coupdemain.server.store.models import Mandate, MandateSignature, SupportSession
from tests.support.server import PASSWORD, ServerProcess, signed_in_client
from tests.web.chromium import CHROMIUM, CHROMIUM_ARGS, WAIT_MS

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

SHOTS = os.environ.get("COUPDEMAIN_SHOTS", "")
ORGANISATION = "Entraide Numérique"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A real server with technician alice and admin root of the same organisation."""
    process = ServerProcess(tmp_path / "server")
    process.create_user("alice", "Alice Martin", ORGANISATION)
    process.create_user("root", "Rose Admin", ORGANISATION, role="admin")
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"the browser tests need Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_console(browser: Any, server: ServerProcess, who: str = "alice",
                 lang: str = "en") -> Any:
    """A signed-in page at 1024x768 in the given language."""
    context = browser.new_context(viewport={"width": 1024, "height": 768},
                                  locale="fr-FR" if lang == "fr" else "en-US", timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{server.url}/lang/{lang}?next=/login")
    page.fill("#username", who)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.locator("#mandate-form").wait_for()
    return page


def shot(page: Any, tmp_path: Path, name: str) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def add_template(page: Any, name: str, purpose: str, minutes: str, *tools: str) -> None:
    """On the templates page, as an admin: fills the new template's form and creates it."""
    page.fill("#template-name", name)
    page.fill("#mandate-purpose", purpose)
    for tool in tools:
        page.check(f"#tool-{tool}")
    page.fill("#mandate-minutes", minutes)
    page.check("#role-watch")
    page.click("#save-template")
    page.locator("#templates td.name", has_text=name).wait_for()


def events(server: ServerProcess, session_id: str) -> list[dict[str, Any]]:
    with signed_in_client(server, "alice") as client:
        found: list[dict[str, Any]] = client.get(f"/api/sessions/{session_id}/events").json()
        return found


def test_a_mandate_written_from_a_template_and_adjusted_gives_a_code(
    browser: Any, server: ServerProcess, tmp_path: Path,
) -> None:
    admin = open_console(browser, server, "root")
    admin.click("#nav-templates")
    add_template(admin, "Imprimante", "Installer l'imprimante du salon", "40", "control")
    admin.context.close()

    page = open_console(browser, server)
    try:
        page.select_option("#template-choice", label="Imprimante")
        page.click("#use-template")
        page.wait_for_url("**/?template=*")
        assert page.input_value("#mandate-purpose") == "Installer l'imprimante du salon"
        assert page.input_value("#mandate-minutes") == "40"
        assert page.is_checked("#tool-control") and page.is_checked("#role-watch")
        # Adjusted to this person: more time, the clipboard, they do the steps.
        page.fill("#mandate-purpose", "Installer l'imprimante du salon et la tester")
        page.fill("#mandate-minutes", "50")
        page.check("#tool-clipboard")
        page.check("#role-do_steps")
        page.click("#help-with-mandate")
        page.locator("#support-code").wait_for()
        session_id = page.url.rsplit("/", 1)[1]
    finally:
        page.context.close()
    written = [e for e in events(server, session_id) if e["action"] == "mandate_written"]
    assert len(written) == 1
    assert {key: written[0]["detail"][key] for key in ("purpose", "tools", "minutes", "role")} == {
        "purpose": "Installer l'imprimante du salon et la tester",
        "tools": ["view", "control", "clipboard"], "minutes": 50, "role": "do_steps"}


@pytest.mark.parametrize(("lang", "minutes", "sentence"), [
    ("en", "0", "A mandate lasts from 1 to 480 minutes, not 0."),
    ("fr", "", "A mandate's duration is a whole number of minutes."),
])
def test_a_bad_duration_shows_the_sentence_and_keeps_the_text(
    browser: Any, server: ServerProcess, tmp_path: Path, lang: str, minutes: str,
    sentence: str,
) -> None:
    page = open_console(browser, server, lang=lang)
    try:
        page.fill("#mandate-purpose", "Sauvegarder les photos de Noël sur la clé USB")
        page.check("#tool-files_to_technician")
        page.check("#role-let_technician_work")
        page.fill("#mandate-minutes", minutes)
        page.click("#help-with-mandate")
        assert page.locator("#mandate-error").inner_text() == sentence
        assert page.input_value("#mandate-purpose") == (
            "Sauvegarder les photos de Noël sur la clé USB")
        assert page.input_value("#mandate-minutes") == minutes
        assert page.is_checked("#tool-files_to_technician")
        assert page.is_checked("#role-let_technician_work")
        assert page.locator("#support-code").count() == 0
        shot(page, tmp_path, f"mandate-form-error-{lang}")
    finally:
        page.context.close()


def test_the_organisation_setting_forces_a_mandate(
    browser: Any, server: ServerProcess, tmp_path: Path,
) -> None:
    page = open_console(browser, server)
    assert page.locator("#help-someone").inner_text() == "Help someone without a mandate"
    page.context.close()

    admin = open_console(browser, server, "root")
    admin.goto(server.url + "/mandate-templates")
    admin.check("#mandate-required")
    admin.click("#save-setting")
    assert admin.locator("#setting-saved").inner_text() == "Setting saved."
    assert admin.is_checked("#mandate-required")
    admin.context.close()

    page = open_console(browser, server)
    try:
        assert page.locator("#help-someone").count() == 0
        assert page.locator("#mandate-required").inner_text() == (
            "Your organisation needs a mandate signed by the person for every session.")
    finally:
        page.context.close()
    # Nor can the API give a code without one.
    with signed_in_client(server, "alice") as client:
        csrf = client.get("/").text.split('name="csrf_token" value="')[1].split('"')[0]
        refused = client.post("/api/sessions", headers={"X-CSRF-Token": csrf})
    assert (refused.status_code, refused.json()) == (
        400, {"error": "the organisation needs a mandate for every session"})


@pytest.mark.parametrize(("lang", "sentence"), [
    ("en", "Only your organisation's admins manage mandate templates and the mandate setting."),
    ("fr", "Seuls les administrateurs de votre organisation gèrent les modèles de mandat et le "
           "réglage du mandat."),
])
def test_a_technician_cannot_open_the_templates_page(
    browser: Any, server: ServerProcess, lang: str, sentence: str,
) -> None:
    page = open_console(browser, server, lang=lang)
    try:
        assert page.locator("#nav-templates").count() == 0
        response = page.goto(server.url + "/mandate-templates")
        assert response.status == 403
        assert page.locator("p.error").inner_text() == sentence
    finally:
        page.context.close()


def store_signature(server: ServerProcess, session_id: str, language: str,
                    signer: str) -> MandateSignature:
    """Writes the person's signature in the server's database, as the rendezvous does."""
    drawing = Image.new("L", (400, 150), 255)
    for x in range(30, 370):  # a wavy stroke
        y = 75 + int(30 * ((x % 80) - 40) / 40) * (1 if (x // 80) % 2 else -1)
        drawing.paste(0, (x, y - 2, x + 2, y + 2))
    png = io.BytesIO()
    drawing.save(png, "PNG")
    engine = create_engine(f"sqlite:///{server.data_dir / 'coupdemain.sqlite3'}")
    try:
        with Session(engine, expire_on_commit=False) as s:
            row = s.get(SupportSession, session_id)
            assert row is not None and row.mandate_id is not None
            bound = s.get(Mandate, row.mandate_id)
            assert bound is not None
            text = mandate.render(mandate.Terms.from_json(bound.terms), technician="Alice Martin",
                                  organisation=ORGANISATION, language=language)
            signed = MandateSignature(
                mandate_id=bound.id, session_id=session_id, kind="mandate", text=text,
                sha256=mandate.digest(text), language=language, signer_name=signer,
                drawing_png=png.getvalue(), signed_at=datetime.now(UTC))
            s.add(signed)
            s.commit()
            return signed
    finally:
        engine.dispose()


def test_the_history_shows_the_signed_mandate_and_its_pdf(
    browser: Any, server: ServerProcess, tmp_path: Path,
) -> None:
    page = open_console(browser, server, lang="fr")
    try:
        page.fill("#mandate-purpose", "Régler la messagerie et retrouver les courriels perdus")
        page.check("#tool-control")
        page.fill("#mandate-minutes", "45")
        page.click("#help-with-mandate")
        page.locator("#support-code").wait_for()
        session_id = page.url.rsplit("/", 1)[1]
        signed = store_signature(server, session_id, "fr", "Élodie Müller")
        page.goto(f"{server.url}/sessions/{session_id}/history")
        assert page.locator("pre.signed-text").inner_text() == signed.text
        assert page.locator("code.sha256").inner_text() == signed.sha256
        assert page.locator(".signer").inner_text() == "Signé par Élodie Müller"
        assert page.locator("img.drawn-signature").evaluate("img => img.naturalWidth") == 400
        shot(page, tmp_path, "mandate-history-fr")
        with page.expect_download() as download:
            page.click("#mandate-pdf")
        data = Path(download.value.path()).read_bytes()
    finally:
        page.context.close()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())
    assert " ".join(signed.text.split()) in text
    assert signed.sha256 in text
    assert "Signé par : Élodie Müller" in text and "Intervenant : Alice Martin" in text
    # The agent's copy comes only with the session's resume secret.
    wrong = httpx.get(server.url + "/api/agent/mandate.pdf",
                      headers={"Authorization": "Bearer not-the-secret"})
    assert (wrong.status_code, wrong.json()) == (401, {"error": "this secret opens no session"})


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_screenshots_of_the_mandate_pages(
    browser: Any, server: ServerProcess, tmp_path: Path, lang: str,
) -> None:
    admin = open_console(browser, server, "root", lang=lang)
    try:
        admin.click("#nav-templates")
        add_template(admin, "Imprimante", "Installer l'imprimante du salon", "40", "control")
        add_template(admin, "Messagerie", "Régler la messagerie", "30", "diagnostics")
        shot(admin, tmp_path, f"mandate-templates-{lang}")
        admin.click("#templates a.edit >> nth=0")
        admin.locator("#template-editor h2").wait_for()
        shot(admin, tmp_path, f"mandate-template-edit-{lang}")
        admin.goto(server.url + "/?template=1")
        shot(admin, tmp_path, f"mandate-form-{lang}")
    finally:
        admin.context.close()
    technician = open_console(browser, server, lang=lang)
    try:
        technician.goto(server.url + "/mandate-templates")
        shot(technician, tmp_path, f"mandate-templates-refused-{lang}")
        technician.goto(server.url + "/")
        technician.click("#help-someone")
        technician.locator("#support-code").wait_for()
        technician.goto(technician.url + "/history")
        assert technician.locator("#no-mandate").inner_text() == (
            "This session had no mandate." if lang == "en"
            else "Cette session n'avait pas de mandat.")
        shot(technician, tmp_path, f"mandate-history-none-{lang}")
    finally:
        technician.context.close()
