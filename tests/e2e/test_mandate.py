"""The mandate, whole: written in the console, signed on the agent with a name typed and a
signature drawn, kept as a PDF with its exact words, enforced, extended, warned about, and
ended by itself when its time runs out.

A mandate minute lasts two seconds here (``--mandate-minute-seconds``), so that a
30-minute mandate ends within a minute without any long sleep.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e.conftest import Technician, start_agent
from tests.e2e.harness import Agent, wait_for, wait_for_status, xdotool
from tests.support.server import ServerProcess

MINUTE_SECONDS = "2"
PURPOSE = "Régler la messagerie et retrouver les courriels perdus"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "server",
                            extra_env={"COUPDEMAIN_MANDATE_MINUTE_SECONDS": MINUTE_SECONDS})
    process.create_user("alice", "Alice Martin", "Entraide Numérique")
    process.start()
    try:
        yield process
    finally:
        process.stop()


def write_mandate(technician: Technician, minutes: str) -> str:
    """The technician writes the mandate (viewing only, the person follows along); the code."""
    page = technician.page
    page.goto(technician.server.url + "/")
    page.fill("#mandate-purpose", PURPOSE)
    page.fill("#mandate-minutes", minutes)
    page.check("#role-follow_along")
    page.click("#help-with-mandate")
    code = page.locator("#support-code")
    code.wait_for()
    technician.session_url = page.url
    return code.inner_text().strip()


def sign_on_the_agent(agent: Agent, screen: VirtualScreen, name: str) -> None:
    """The person types their name, draws a signature with the mouse, and signs."""
    window = agent.window("mandate")
    entry = window["entries"]["name"]
    xdotool(screen, "mousemove", str(entry["x"] + 20), str(entry["y"] + entry["height"] // 2),
            "click", "1")
    xdotool(screen, "type", "--delay", "20", name)
    wait_for(lambda: agent.windows()["mandate"].get("sign_enabled"), "Sign enabled", 20)
    pad = agent.windows()["mandate"]["pad"]
    x0, y0 = pad["x"] + 30, pad["y"] + pad["height"] // 2
    xdotool(screen, "mousemove", str(x0), str(y0), "mousedown", "1")
    for i in range(1, 21):  # one call per move: Tk merges moves sent together
        xdotool(screen, "mousemove", str(x0 + i * 10), str(y0 - (i % 5) * 8))
    xdotool(screen, "mouseup", "1")
    agent.click("mandate", "sign")


def test_a_mandate_written_signed_kept_enforced_extended_and_ended_by_its_time(
    technician: Technician, agents: list[Agent], screen: VirtualScreen, server: ServerProcess,
    tmp_path: Path,
) -> None:
    page = technician.page
    code = write_mandate(technician, minutes="30")
    agent = start_agent(agents, screen, server, tmp_path, code=code.replace(" ", ""),
                        language="fr")

    # Nothing is shared before the signature: the person reads the mandate first.
    window = agent.window_saying("mandate", "vous demande de lire et de signer ce mandat")
    assert "consent" not in agent.windows()
    assert f"Ce qui sera fait : {PURPOSE}" in window["mandate_text"]
    assert "Votre rôle : vous suivez et répondez aux questions" in window["mandate_text"]
    wait_for_status(page, "Waiting for the person to sign the mandate")
    sign_on_the_agent(agent, screen, "Marie Dupont")
    agent.window_saying("consent", "Alice Martin, Entraide Numérique")
    agent.click("consent", "allow_view")
    wait_for_status(page, "View only")

    # The viewer offers only what the mandate allows.
    page.locator("#mandate-signed", has_text="Signed by Marie Dupont").wait_for()
    request = page.locator("#request-control")
    assert request.is_disabled()
    assert request.get_attribute("title") == "Not in the mandate"

    # What was signed, kept: the PDF the console downloads has the exact words and hash.
    session_id = technician.session_url.rstrip("/").rsplit("/", 1)[-1]
    history = page.context.new_page()
    history.goto(f"{server.url}/sessions/{session_id}/history")
    sha256 = history.locator("#mandate .sha256").first.inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", sha256)
    assert history.locator("#mandate .signer").first.inner_text() == "Signed by Marie Dupont"
    pdf = history.request.get(f"{server.url}/sessions/{session_id}/mandate.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    words = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
                     .split())
    for expected in (PURPOSE, sha256, "Marie Dupont", "Alice Martin", "Entraide Numérique"):
        assert expected in words, expected
    history.close()

    # An extension: more time and control, which the person signs on the agent.
    page.click("#mandate-extend")
    page.fill("#mandate-extend-minutes", "10")
    page.check("#mandate-extend-dialog input[value=control]")
    page.click("#mandate-extend-send")
    agent.window_saying("mandate", "demande à changer ce que vous avez accepté")
    assert agent.windows()["mandate"]["sign_enabled"]  # the name typed before is kept
    agent.click("mandate", "sign")
    page.locator("#mandate-tools", has_text="control").wait_for()
    assert request.is_enabled()
    request.click()
    agent.window("control")
    agent.click("control", "allow_control")
    wait_for_status(page, "You have control")

    # Five mandate minutes before its end, both sides are warned; at its end, it ends.
    page.locator("#mandate-warning", has_text="The mandate ends in 5 minutes").wait_for(
        timeout=90_000)
    agent.window_saying("banner", "Cette aide se termine dans 5 minutes", timeout=30)
    page.locator("#ended-message", has_text="The mandate's time ran out; the session ended by "
                 "itself.").wait_for(timeout=150_000)
    agent.window_saying("ended", "Le temps prévu par le mandat est écoulé", timeout=30)

    # The report opens pre-filled with the mandate: its purpose, the tools it ended with
    # (the extension's control included, in the words the person signed) and the signer.
    page.click("#write-report")
    mandate = page.locator("#report-mandate")
    mandate.wait_for()
    shown = " ".join(mandate.inner_text().split())
    for expected in (PURPOSE, "Marie Dupont", "voir votre écran",
                     "utiliser votre souris et votre clavier, quand vous l'autorisez"):
        assert expected in shown, expected
