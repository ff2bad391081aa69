"""The session's report in process: pre-filled, completed, sent, read by the agent, answered."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pypdf

from tests.server.test_sockets import close_code, hello, receive
from tests.support.app import InProcessServer

ENGLISH = {"Accept-Language": "en"}


def pdf_text(data: bytes) -> str:
    """The words of a PDF, whitespace normalised."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def ended_session(app: InProcessServer) -> tuple[str, str]:
    """A session with a chat line, a step and an announced action, ended by the technician;
    its id and the agent's resume secret."""
    issued = app.issue_code()
    with app.client.websocket_connect("/ws/agent") as agent:
        agent.send_text(hello(code=issued["code"], hostname="pc-de-marie", user="marie"))
        welcome = receive(agent, "welcome")
        with app.viewer(issued["session_id"], origin="http://testserver") as viewer:
            viewer.send_text(hello(role="viewer"))
            receive(viewer, "state")
            agent.send_text(json.dumps({"type": "consent", "decision": "allow_view"}))
            assert receive(viewer, "state")["state"] == "viewing"
            viewer.send_text(json.dumps({"type": "chat", "text": "Bonjour Marie"}))
            viewer.send_text(json.dumps({"type": "step", "text": "I check your printer"}))
            viewer.send_text(json.dumps({"type": "announce", "kind": "restart",
                                         "text": "A restart clears the queue"}))
            receive(agent, "announcement")
            agent.send_text(json.dumps({"type": "action_answer", "id": 2, "answer": "ok"}))
            receive(viewer, "action_answer")
            viewer.send_text(json.dumps({"type": "end"}))
            receive(agent, "ended")
            close_code(agent)
    return issued["session_id"], str(welcome["resume"])


def send_report(app: InProcessServer, session_id: str, who: str = "alice",
                **fields: Any) -> Any:
    form = {"csrf_token": app.people[who].csrf, "done": "The printer queue was emptied.",
            "outcome": "solved", "follow_up": ["Buy ink", "Set up the scanner", ""],
            "new_mandate": ["1"], "action": "send", **fields}
    return app.client.post(f"/sessions/{session_id}/report", data=form,
                           headers={**app.people[who].headers, **ENGLISH},
                           follow_redirects=False)


def agent_get(app: InProcessServer, path: str, secret: str) -> Any:
    return app.client.get(path, headers={"Authorization": f"Bearer {secret}"})


def test_the_report_is_prefilled_sent_read_by_the_agent_and_answered(
    app: InProcessServer,
) -> None:
    session_id, secret = ended_session(app)
    alice = {**app.people["alice"].headers, **ENGLISH}
    # The agent hears that the technician is writing.
    assert agent_get(app, "/api/agent/report?lang=fr", secret).json() == {"status": "writing"}

    page = app.client.get(f"/sessions/{session_id}/report", headers=alice).text
    assert '<q class="chat">Bonjour Marie</q>' in page
    assert '<q class="step">I check your printer</q>' in page
    assert ('Restart: <q class="announced">A restart clears the queue</q>'
            ' — the person answered OK') in page
    assert "The person allowed viewing" in page
    assert 'id="report-form"' in page

    response = send_report(app, session_id)
    assert response.status_code == 303
    sent = app.client.get(response.headers["location"], headers=alice).text
    assert "The report was sent." in sent
    assert 'id="report-form"' not in sent  # sent: no longer changed

    answer = agent_get(app, "/api/agent/report?lang=fr", secret).json()
    assert answer["status"] == "sent"
    report = answer["report"]
    assert (report["done"], report["outcome"], report["technician"]) == (
        "The printer queue was emptied.", "solved", "Alice Martin")
    assert report["follow_ups"] == [{"text": "Buy ink", "new_mandate": False},
                                    {"text": "Set up the scanner", "new_mandate": True}]
    assert [s["text"] for s in report["timeline"]["steps"]] == ["I check your printer"]

    pdf = agent_get(app, "/api/agent/report.pdf?lang=fr&offset=60", secret)
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Compte rendu de la séance" in text
    assert "Résultat Résolu" in text
    assert ("Set up the scanner (hors du mandat : demande un nouveau mandat)") in text
    assert "Les heures sont données en UTC+01:00." in text
    console_pdf = app.client.get(f"/sessions/{session_id}/report.pdf", headers=alice)
    assert "Session report" in pdf_text(console_pdf.content)
    assert "The printer queue was emptied." in pdf_text(console_pdf.content)

    note = app.client.post("/api/agent/report/notes?lang=fr",
                           headers={"Authorization": f"Bearer {secret}"},
                           json={"text": "Pouvez-vous aussi regarder le scanner ?"})
    assert note.status_code == 201
    history = app.client.get(f"/sessions/{session_id}/history", headers=alice).text
    assert '<q class="person-note">Pouvez-vous aussi regarder le scanner ?</q>' in history
    assert "The person answered the report" in history
    assert "Report sent to the person" in history
    report_page = app.client.get(f"/sessions/{session_id}/report", headers=alice).text
    assert "Pouvez-vous aussi regarder le scanner ?" in report_page


def test_a_report_is_refused_to_those_who_may_not_see_the_session(
    app: InProcessServer,
) -> None:
    session_id, _ = ended_session(app)
    for who in ("bob", "other"):
        page = app.client.get(f"/sessions/{session_id}/report",
                              headers={**app.people[who].headers, **ENGLISH})
        assert page.status_code == 404
        assert "This page does not exist, or you may not see it." in page.text
        assert send_report(app, session_id, who).status_code == 404
        pdf = app.client.get(f"/sessions/{session_id}/report.pdf",
                             headers=app.people[who].headers)
        assert pdf.status_code == 404
    # The organisation's admin may.
    assert send_report(app, session_id, "root").status_code == 303


def test_a_report_needs_the_csrf_token(app: InProcessServer) -> None:
    session_id, _ = ended_session(app)
    assert send_report(app, session_id, csrf_token="forged").status_code == 403


def test_an_incomplete_report_comes_back_with_what_was_typed(app: InProcessServer) -> None:
    session_id, secret = ended_session(app)
    response = send_report(app, session_id, outcome="")
    assert response.status_code == 400
    assert "Before sending, say what was done and choose the outcome." in response.text
    assert "The printer queue was emptied.</textarea>" in response.text
    assert 'value="Set up the scanner"' in response.text
    assert agent_get(app, "/api/agent/report", secret).json() == {"status": "writing"}


def test_the_agent_needs_its_own_resume_secret(app: InProcessServer) -> None:
    session_id, secret = ended_session(app)
    send_report(app, session_id)
    for header in ({}, {"Authorization": "Bearer not-the-secret"},
                   {"Authorization": f"Basic {secret}"}):
        for path in ("/api/agent/report", "/api/agent/report.pdf"):
            response = app.client.get(path, headers=header)
            assert response.status_code == 401
        note = app.client.post("/api/agent/report/notes", headers=header, json={"text": "hi"})
        assert note.status_code == 401
    assert app.client.get("/api/agent/report", headers={
        "Authorization": "Bearer wrong"}).json() == {"error": "No session has this resume secret."}


def test_an_oversized_note_is_refused_with_a_sentence(app: InProcessServer) -> None:
    session_id, secret = ended_session(app)
    auth = {"Authorization": f"Bearer {secret}"}
    early = app.client.post("/api/agent/report/notes", headers=auth, json={"text": "Hello"})
    assert (early.status_code, early.json()) == (
        409, {"error": "There is no report to answer yet."})
    send_report(app, session_id)
    long = app.client.post("/api/agent/report/notes", headers=auth, json={"text": "x" * 2001})
    assert (long.status_code, long.json()) == (
        413, {"error": "A note has at most 2000 characters, not 2001."})
    french = app.client.post("/api/agent/report/notes?lang=fr", headers=auth,
                             json={"text": "x" * 2500})
    assert french.json() == {"error": "Une note compte au plus 2000 caractères, pas 2500."}
    huge = app.client.post("/api/agent/report/notes", headers=auth,
                           content=json.dumps({"text": "y" * 40_000}))
    assert huge.status_code == 413
    assert re.fullmatch(r"A note has at most 2000 characters, not \d+\.", huge.json()["error"])


def test_a_declined_session_gets_no_report(app: InProcessServer) -> None:
    issued = app.issue_code()
    with app.client.websocket_connect("/ws/agent") as agent:
        agent.send_text(hello(code=issued["code"], hostname="pc"))
        secret = receive(agent, "welcome")["resume"]
        agent.send_text(json.dumps({"type": "consent", "decision": "decline"}))
        close_code(agent)
    assert agent_get(app, "/api/agent/report", secret).json() == {"status": "none"}
