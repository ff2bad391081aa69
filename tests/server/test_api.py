"""The REST API in process: who may call it, and what it answers."""

from __future__ import annotations

from tests.support.app import InProcessServer


def test_a_sessions_events_need_a_sign_in(app: InProcessServer) -> None:
    issued = app.issue_code()
    response = app.client.get(f"/api/sessions/{issued['session_id']}/events")
    assert (response.status_code, response.json()) == (401, {"error": "sign in first"})


def test_a_session_others_may_not_see_is_not_found(app: InProcessServer) -> None:
    issued = app.issue_code()
    for who in ("bob", "other"):
        response = app.client.get(f"/api/sessions/{issued['session_id']}/events",
                                  headers=app.people[who].headers)
        assert (response.status_code, response.json()) == (404, {"error": "no such session"})


def test_the_admin_of_the_organisation_reads_the_events(app: InProcessServer) -> None:
    issued = app.issue_code()
    response = app.client.get(f"/api/sessions/{issued['session_id']}/events",
                              headers=app.people["root"].headers)
    assert response.status_code == 200
    assert [event["action"] for event in response.json()] == [
        "code_issued", "session_without_mandate"]
    assert response.json()[0]["actor_name"] == "Alice Martin"


def test_a_code_needs_the_csrf_header(app: InProcessServer) -> None:
    response = app.client.post("/api/sessions", headers=app.people["alice"].headers)
    assert (response.status_code, response.json()) == (403, {"error": "csrf"})
    forged = {**app.people["alice"].headers, "X-CSRF-Token": app.people["bob"].csrf}
    assert app.client.post("/api/sessions", headers=forged).status_code == 403


def test_the_openapi_document_lists_the_api_alone(app: InProcessServer) -> None:
    assert app.client.get("/api/openapi.json").status_code == 401
    document = app.client.get("/api/openapi.json", headers=app.people["bob"].headers).json()
    assert sorted(document["paths"]) == [
        "/api/agent/mandate.pdf",
        "/api/devices",
        "/api/devices/enrol",
        "/api/devices/enrolment/preview",
        "/api/devices/tokens",
        "/api/devices/{device_id}/control",
        "/api/devices/{device_id}/revoke",
        "/api/devices/{device_id}/settings",
        "/api/groups",
        "/api/groups/{group_id}",
        "/api/help-requests",
        "/api/help-requests/{request_id}/take",
        "/api/mandate-templates",
        "/api/sessions",
        "/api/sessions/{session_id}/events",
        "/api/sessions/{session_id}/files/{transfer_id}",
        "/api/sessions/{session_id}/files/{transfer_id}/upload",
        "/api/sessions/{session_id}/recording/webm",
    ]
