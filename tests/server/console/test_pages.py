"""The console's pages in process: sign-in first, and only the sessions one may see."""

from __future__ import annotations

import json

import pytest

from coupdemain.protocol.errors import CloseReason
from tests.server.test_sockets import close_code, hello, receive
from tests.support.app import InProcessServer


@pytest.mark.parametrize("page", ["/sessions/{id}", "/sessions/{id}/history"])
def test_a_session_page_sends_a_stranger_to_sign_in(app: InProcessServer, page: str) -> None:
    issued = app.issue_code()
    response = app.client.get(page.format(id=issued["session_id"]), follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login")


@pytest.mark.parametrize("page", ["/sessions/{id}", "/sessions/{id}/history"])
@pytest.mark.parametrize(("who", "status"), [
    ("alice", 200), ("root", 200), ("bob", 404), ("other", 404)])
def test_a_session_page_is_shown_to_those_who_may_see_it(
    app: InProcessServer, page: str, who: str, status: int
) -> None:
    issued = app.issue_code()
    response = app.client.get(page.format(id=issued["session_id"]),
                              headers={**app.people[who].headers, "Accept-Language": "en"})
    assert response.status_code == status
    if status == 404:
        assert "This page does not exist, or you may not see it." in response.text


def test_the_code_is_shown_to_its_technician_only(app: InProcessServer) -> None:
    issued = app.issue_code()
    page = f"/sessions/{issued['session_id']}"
    alices = app.client.get(page, headers=app.people["alice"].headers).text
    roots = app.client.get(page, headers=app.people["root"].headers).text
    assert issued["code_formatted"] in alices
    assert issued["code_formatted"] not in roots


def test_every_page_carries_the_security_headers(app: InProcessServer) -> None:
    response = app.client.get("/login")
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"].startswith("default-src 'self';")
    assert "strict-transport-security" not in response.headers  # plain HTTP


def test_a_reported_session_is_flagged_for_the_organisations_admins(app: InProcessServer) -> None:
    issued = app.issue_code()
    with app.client.websocket_connect("/ws/agent") as agent:
        agent.send_text(hello(code=issued["code"], hostname="pc-de-marie"))
        receive(agent, "welcome")
        agent.send_text(json.dumps({"type": "report"}))
        assert receive(agent, "ended") == {
            "type": "ended", "by": "person", "reason": int(CloseReason.REPORTED_BY_PERSON)}
        # The socket closes once the session's end is stored.
        assert close_code(agent) == CloseReason.REPORTED_BY_PERSON
    english = {"Accept-Language": "en"}
    history = f"/sessions/{issued['session_id']}/history"
    # The organisation's admin: a banner on the console's first page, the flag on the list...
    index = app.client.get("/", headers={**app.people["root"].headers, **english}).text
    assert "Sessions reported by the person: 1." in index
    assert '<strong class="reported-flag">Reported by the person</strong>' in index
    # ... and on the history, with what it means and the event.
    page = app.client.get(history, headers={**app.people["root"].headers, **english}).text
    assert "The person clicked Report a problem before sharing anything" in page
    assert "The person reported a problem" in page
    # The technician sees the flag on her session; only admins get the banner.
    alices = app.client.get("/", headers={**app.people["alice"].headers, **english}).text
    assert "Reported by the person" in alices and "Sessions reported" not in alices
    # Another organisation's admin sees nothing of it.
    others = app.client.get("/", headers={**app.people["other"].headers, **english}).text
    assert "Reported by the person" not in others and "Sessions reported" not in others
