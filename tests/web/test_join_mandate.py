"""The join page signs a mandate against the real server: the person reads the text the
server rendered in their language, signs with their name and a drawn signature, and
downloads the same PDF the console keeps."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from tests.support.server import ServerProcess, csrf_of, signed_in_client
from tests.web import test_mandate_pages
from tests.web.chromium import WAIT_MS
from tests.web.test_mandate_signing_pages import draw_signature

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

# The mandate pages' fixtures: a real server with technician alice, and Chromium.
server = test_mandate_pages.server
browser = test_mandate_pages.browser
PURPOSE = "Retrouver les photos de la clé USB"
SHOTS = os.environ.get("COUPDEMAIN_SHOTS", "")  # where to save the page's picture, if set


def code_with_mandate(server: ServerProcess) -> tuple[str, str]:
    """The technician writes the mandate through the API; the session and its code."""
    with signed_in_client(server, "alice") as client:
        csrf = csrf_of(client.get("/").text)
        answer = client.post("/api/sessions", headers={"X-CSRF-Token": csrf},
                             json={"mandate": {"purpose": PURPOSE, "tools": ["view"], "minutes": 30,
                                               "role": "watch", "standing_until": ""}})
        assert answer.status_code == 200, answer.text
        issued = answer.json()
        return str(issued["session_id"]), str(issued["code"])


def test_the_person_signs_on_the_join_page_and_saves_the_same_pdf(
    browser: Any, server: ServerProcess,
) -> None:
    session_id, code = code_with_mandate(server)
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="fr-FR",
                                  accept_downloads=True)
    page = context.new_page()
    page.goto(server.url + "/join")
    page.fill("#share-code", code)
    page.click("#share-continue")
    page.locator("#browser-share[data-step=mandate]").wait_for(timeout=WAIT_MS)
    page.locator("#share-mandate-text", has_text=f"Ce qui sera fait : {PURPOSE}").wait_for(
        timeout=WAIT_MS)
    page.fill("#share-mandate-name", "Jeanne Petit")
    draw_signature(page)
    page.click("#share-mandate-sign")

    # Signed on the server: the page moves on to the question, and offers the copy.
    page.locator("#browser-share[data-step=ask]").wait_for(timeout=WAIT_MS)
    assert page.locator("#share-mandate-done").inner_text().startswith(
        "Mandat signé par Jeanne Petit.")
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "join-mandate-signed-fr.png"))
    with page.expect_download() as info:
        page.click("#share-mandate-copy")
    assert info.value.suggested_filename == "mandat.pdf"
    saved = Path(info.value.path()).read_bytes()
    with signed_in_client(server, "alice") as client:
        kept = client.get(f"/sessions/{session_id}/mandate.pdf")
    assert kept.status_code == 200
    words = " ".join(" ".join(page_.extract_text() for page_ in
                              PdfReader(io.BytesIO(saved)).pages).split())
    assert PURPOSE in words and "Jeanne Petit" in words and "Alice Martin" in words
    assert " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(kept.content)).pages)
                    .split()) == words
    context.close()
