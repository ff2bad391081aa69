"""The recap end to end: a session with a chat line, a step and an announcement ends; the
console's report shows them pre-filled; the technician sends it; the person reads it on
the agent in French, saves its PDF, and answers with a note that reaches the console."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf

from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e.conftest import Technician
from tests.e2e.harness import Agent, wait_for_status, xdotool
from tests.support.server import ServerProcess


def pdf_text(data: bytes) -> str:
    """The words of a PDF, whitespace normalised."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def click_at(screen: VirtualScreen, box: dict[str, int]) -> None:
    xdotool(screen, "mousemove", str(box["x"] + 10), str(box["y"] + box["height"] // 2),
            "click", "1")


def test_the_report_is_prefilled_sent_read_in_french_saved_and_answered(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path,
) -> None:
    page = technician.page
    code = technician.help_someone()
    agent = Agent(screen, server.url, tmp_path / "ui-trace-fr.json", code=code.replace(" ", ""),
                  language="fr", env={"COUPDEMAIN_REPORT_WAIT_SECONDS": "300"}).start()
    agents.append(agent)
    agent.window_saying("consent", "Alice Martin")
    agent.click("consent", "allow_view")
    wait_for_status(page, "View only")

    page.fill("#chat-input", "Bonjour Marie, je regarde l'imprimante")
    page.press("#chat-input", "Enter")
    page.fill("#step-text", "I am emptying the print queue")
    page.press("#step-text", "Enter")
    page.select_option("#announce-kind", "other")
    page.fill("#announce-text", "I will clean the printer's settings")
    page.press("#announce-text", "Enter")
    agent.window_saying("banner", "I will clean the printer's settings")

    page.click("#end-session")
    agent.window_saying("ended", "Alice Martin écrit un résumé de ce qui a été fait.")

    # The console opens the report pre-filled from the timeline.
    page.click("#write-report")
    page.locator("#report-form").wait_for()
    assert "Bonjour Marie, je regarde l'imprimante" in page.locator("#report-chat").inner_text()
    assert "I am emptying the print queue" in page.locator("#report-steps").inner_text()
    assert "Other: I will clean the printer's settings" in page.locator(
        "#report-actions").inner_text()
    assert "The person allowed viewing" in page.locator("#report-consents").inner_text()

    page.fill("#report-done-field", "La file d'impression est vidée ; l'imprimante imprime.")
    page.check("input[name=outcome][value=solved]")
    follow_ups = page.locator("input[name=follow_up]")
    follow_ups.nth(0).fill("Acheter des cartouches")
    follow_ups.nth(1).fill("Installer le scanner")
    page.locator("input[name=new_mandate]").nth(1).check()
    page.click("#report-send")
    page.locator("#report-notice", has_text="The report was sent.").wait_for()

    # The person reads it in French.
    shown = agent.window_saying("report", "Résultat : Résolu", timeout=60)
    assert "Résumé de Alice Martin, Entraide Numérique" in shown["texts"]
    assert "La file d'impression est vidée ; l'imprimante imprime." in shown["summary"]
    assert ("Installer le scanner (hors du mandat : il faudra un nouveau mandat)"
            in shown["summary"])

    # Save as PDF…: the bytes come from the server, in French.
    saved = tmp_path / "résumé de la séance.pdf"
    agent.click("report", "save_pdf")
    click_at(screen, agent.window("file_chooser")["entries"]["file_name"])
    # Tk's entry: Ctrl+A goes to the start of the line, Ctrl+K clears from there.
    xdotool(screen, "key", "ctrl+a", "ctrl+k")
    xdotool(screen, "type", "--delay", "10", str(saved))
    xdotool(screen, "key", "Return")
    assert f"Enregistré : {saved}" in agent.window_saying("report", "Enregistré :")["texts"]
    text = pdf_text(saved.read_bytes())
    assert "Compte rendu de la séance" in text
    assert "Résultat Résolu" in text
    assert "La file d'impression est vidée ; l'imprimante imprime." in text
    assert "Installer le scanner (hors du mandat : demande un nouveau mandat)" in text
    assert "I am emptying the print queue" in text

    # "Is there anything else you need?" reaches the technician.
    click_at(screen, agent.window("report")["note_box"])
    xdotool(screen, "type", "--delay", "10", "Le scanner aussi, merci")
    agent.click("report", "send")
    agent.window_saying("report", "Envoyé. Alice Martin lira votre message.")
    page.reload()  # the agent said it was sent once the server had stored it
    assert "Le scanner aussi, merci" in page.locator("#report-notes").inner_text()

    # The console downloads the same report, in the console's language.
    with page.expect_download() as downloading:
        page.click("#report-pdf")
    english = pdf_text(Path(downloading.value.path()).read_bytes())
    assert "Session report" in english and "Outcome Solved" in english

    page.goto(technician.session_url + "/history")
    assert "La file d'impression est vidée" in page.locator("#history-report").inner_text()

    agent.click("report", "close")
    assert agent.exit_code() == 0
