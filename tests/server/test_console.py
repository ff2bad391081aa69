"""The console over HTTP: sign-in, CSRF, codes, history, languages."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from tests.support.server import PASSWORD, ServerProcess, csrf_of, issue_code, signed_in_client


def test_pages_need_sign_in(server: ServerProcess) -> None:
    response = httpx.get(server.url + "/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_wrong_password_says_so(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url) as client:
        csrf = csrf_of(client.get("/login").text)
        response = client.post(
            "/login", data={"username": "alice", "password": "nope", "csrf_token": csrf}
        )
    assert response.status_code == 401
    assert "Wrong username or password." in response.text


def test_sign_in_without_the_form_token_is_refused(server: ServerProcess) -> None:
    response = httpx.post(server.url + "/login",
                          data={"username": "alice", "password": PASSWORD, "csrf_token": "x"})
    assert response.status_code == 403
    assert "This form has expired." in response.text


def test_failed_sign_ins_are_rate_limited(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url) as client:
        statuses = []
        for _ in range(6):
            csrf = csrf_of(client.get("/login").text)
            statuses.append(client.post(
                "/login", data={"username": "alice", "password": "bad", "csrf_token": csrf}
            ).status_code)
        csrf = csrf_of(client.get("/login").text)
        last = client.post(
            "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": csrf}
        )
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    assert last.status_code == 429
    assert "Too many failed sign-ins" in last.text


def test_help_someone_needs_the_csrf_token(server: ServerProcess) -> None:
    with signed_in_client(server, "alice") as client:
        assert client.post("/api/sessions").status_code == 403
        assert client.post("/sessions", data={"csrf_token": "forged"}).status_code == 403


def test_help_someone_shows_a_formatted_code(server: ServerProcess) -> None:
    with signed_in_client(server, "alice") as client:
        issued = issue_code(client)
        page = client.get(issued["viewer_url"]).text
    assert len(issued["code"]) == 9 and issued["code"].isdigit()
    assert issued["code_formatted"] == (
        f"{issued['code'][:3]} {issued['code'][3:6]} {issued['code'][6:]}"
    )
    assert f'data-code="{issued["code_formatted"]}"' in page


def test_codes_never_reach_the_log_in_full(server: ServerProcess) -> None:
    with signed_in_client(server, "alice") as client:
        issued = issue_code(client)
    assert issued["code"] not in server.log()


def test_console_speaks_french(server: ServerProcess) -> None:
    with signed_in_client(server, "alice") as client:
        english = client.get("/").text
        client.get("/lang/fr")
        french = client.get("/").text
    assert "Help someone" in english
    assert "Aider quelqu'un" in french or "Aider quelqu&#39;un" in french


def test_browser_language_is_honoured(server: ServerProcess) -> None:
    page = httpx.get(server.url + "/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).text
    assert "Mot de passe" in page


def test_language_switch_refuses_open_redirects(server: ServerProcess) -> None:
    response = httpx.get(server.url + "/lang/fr?next=//evil.example/", follow_redirects=False)
    assert response.headers["location"] == "/"


def test_another_technician_cannot_open_the_session(server: ServerProcess) -> None:
    server.create_user("bob", "Bob", "Other Org")
    with signed_in_client(server, "alice") as alice:
        issued = issue_code(alice)
    with signed_in_client(server, "bob") as bob:
        assert bob.get(issued["viewer_url"]).status_code == 404
        assert bob.get(f"/api/sessions/{issued['session_id']}/events").status_code == 404


def test_the_code_page_gives_the_join_address_of_this_server(server: ServerProcess) -> None:
    with signed_in_client(server, "alice") as client:
        page = client.get(issue_code(client)["viewer_url"]).text
        join = client.get("/join").text
    assert f'data-join-url="{server.url}/join"' in page
    assert "pip install" not in join


def test_the_join_address_is_the_public_url_when_one_is_set(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "public",
                           extra_env={"COUPDEMAIN_PUBLIC_URL": "http://localhost:8000/help/"})
    server.create_user("alice", "Alice Martin", "Entraide Numérique")
    server.start()
    try:
        with signed_in_client(server, "alice") as client:
            page = client.get(issue_code(client)["viewer_url"]).text
    finally:
        server.stop()
    assert 'data-join-url="http://localhost:8000/help/join"' in page


def test_the_api_documentation_needs_a_signed_in_user(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url) as anonymous:
        assert anonymous.get("/api/docs").headers["location"] == "/login"
        assert anonymous.get("/api/openapi.json").json() == {"error": "sign in first"}
        assert anonymous.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 401
        # FastAPI's own pages and document are gone.
        assert [anonymous.get(path).status_code for path in ("/docs", "/redoc", "/openapi.json")] \
            == [404, 404, 404]
    with signed_in_client(server, "alice") as client:
        document = client.get("/api/openapi.json").json()
        bundle = client.get("/api/docs/assets/swagger-ui-bundle.js")
        css = client.get("/api/docs/assets/swagger-ui.css")
        assert client.get("/api/docs/assets/redoc.standalone.js").status_code == 404
        assert client.get("/api/docs/assets/..%2Fcore.py").status_code == 404
    # The REST API alone, without the console's pages.
    assert "/api/sessions" in document["paths"]
    assert all(path.startswith("/api/") for path in document["paths"])
    assert bundle.status_code == 200 and "SwaggerUIBundle" in bundle.text
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def _set_code_expiry(server: ServerProcess, session_id: str, year: int) -> None:
    """Moves a code's expiry as if that much time had passed while the server was down."""
    with sqlite3.connect(server.data_dir / "coupdemain.sqlite3") as db:
        (stored,) = db.execute("SELECT code_expires_at FROM support_sessions WHERE id = ?",
                               (session_id,)).fetchone()
        db.execute("UPDATE support_sessions SET code_expires_at = ? WHERE id = ?",
                   (f"{year}{stored[4:]}", session_id))


def test_a_code_that_expired_while_the_server_was_down_shows_as_expired(
    server: ServerProcess,
) -> None:
    with signed_in_client(server, "alice") as client:
        issued = issue_code(client)
        waiting = client.get("/").text
    assert '<td class="state">Waiting for the person</td>' in waiting
    server.stop()
    _set_code_expiry(server, issued["session_id"], 2000)
    server.start()
    with signed_in_client(server, "alice") as client:
        listed = client.get("/").text
        history = client.get(f"/sessions/{issued['session_id']}/history").text
    row = listed[listed.index(f'data-session-id="{issued["session_id"]}"'):]
    row = row[:row.index("</tr>")]
    assert '<td class="state">Ended</td>' in row
    assert "by the server · the code expired" in row
    assert "Open</a>" not in row
    assert "<dd>Ended — the code expired</dd>" in history
