"""The console's recording pages: the admin's policy form, and the upload of a browser share."""

from __future__ import annotations

from tests.support.app import InProcessServer


def post_policy(app: InProcessServer, who: str, **form: str) -> tuple[int, str]:
    sign_in = app.people[who]
    response = app.client.post("/organisation/recording", headers=sign_in.headers,
                               data={"csrf_token": sign_in.csrf, **form},
                               follow_redirects=False)
    return response.status_code, response.text


def test_an_admin_sets_the_policy_and_a_technician_may_not(app: InProcessServer) -> None:
    assert app.client.get("/organisation/recording",
                          headers=app.people["alice"].headers).status_code == 403
    assert post_policy(app, "alice", policy="always", retention_days="7")[0] == 403
    page = app.client.get("/organisation/recording", headers=app.people["root"].headers).text
    assert 'value="never" checked' in page and 'value="30"' in page
    status, _ = post_policy(app, "root", policy="ask", retention_days="7")
    assert status == 303
    page = app.client.get("/organisation/recording?saved=1",
                          headers=app.people["root"].headers).text
    assert "Saved. New sessions follow this policy." in page
    assert 'value="ask" checked' in page and 'value="7"' in page
    # Another organisation keeps its own.
    other = app.client.get("/organisation/recording", headers=app.people["other"].headers).text
    assert 'value="never" checked' in other


def test_bad_values_are_refused_in_words_and_a_form_without_its_token_too(
    app: InProcessServer,
) -> None:
    status, page = post_policy(app, "root", policy="sometimes", retention_days="7")
    assert status == 400
    assert ("“sometimes” is not a recording policy: choose Never, Ask the person or Always."
            in page)
    status, page = post_policy(app, "root", policy="always", retention_days="forever")
    assert status == 400
    assert "“forever” is not a number of days between 1 and 3650." in page
    response = app.client.post("/organisation/recording", headers=app.people["root"].headers,
                               data={"policy": "always", "retention_days": "7",
                                     "csrf_token": "wrong"})
    assert response.status_code == 403


def test_an_upload_outside_a_recorded_browser_share_is_refused(app: InProcessServer) -> None:
    session_id = app.issue_code()["session_id"]
    alice = app.people["alice"]
    url = f"/api/sessions/{session_id}/recording/webm?seq=0"
    assert app.client.post(url, content=b"x", headers=alice.headers).status_code == 403
    response = app.client.post(url, content=b"x",
                               headers={**alice.headers, "X-CSRF-Token": alice.csrf})
    assert response.status_code == 409
    assert response.json() == {"error": "this session is not being recorded"}
    other = app.people["other"]
    assert app.client.post(url, content=b"x", headers={
        **other.headers, "X-CSRF-Token": other.csrf}).status_code == 404
    assert app.client.get(f"/sessions/{session_id}/recording",
                          headers=alice.headers).status_code == 404
