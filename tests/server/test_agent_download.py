"""The join page's single-file agent: served with this server's address, its SHA-256 shown."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from coupdemain import cli
from coupdemain.config import Settings
from coupdemain.protocol.agent_file import AgentFileConfig, parse_trailer, trailer
from coupdemain.server.agent_download import AgentBinary
from tests.support.app import InProcessServer

BUILT = b"\x7fELF" + bytes(range(256)) * 4000  # about 1 MB, as if built


def test_the_download_is_the_file_with_the_address_the_person_used(
    app: InProcessServer, tmp_path: Path
) -> None:
    (tmp_path / "data" / "coupdemain-help").write_bytes(BUILT)
    response = app.client.get("/join/coupdemain-help")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="coupdemain-help"'
    assert response.content == BUILT + trailer(AgentFileConfig(server="http://testserver"))
    assert parse_trailer(response.content) == AgentFileConfig(server="http://testserver")
    assert int(response.headers["content-length"]) == len(response.content)

    page = app.client.get("/join", headers={"Accept-Language": "en"}).text
    digest = hashlib.sha256(response.content).hexdigest()
    assert f'<code id="agent-sha256">{digest}</code>' in page
    assert "Download the program (1 MB)" in page
    assert 'href="/join/coupdemain-help"' in page
    assert "pip install" not in page


def test_without_a_built_agent_the_page_says_so_and_there_is_no_download(
    app: InProcessServer,
) -> None:
    page = app.client.get("/join", headers={"Accept-Language": "fr"}).text
    assert "Ce serveur ne propose pas le programme." in page
    assert 'id="agent-download"' not in page
    response = app.client.get("/join/coupdemain-help", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "This page does not exist, or you may not see it." in response.text


async def test_the_file_given_wins_and_a_changed_file_gets_a_new_digest(tmp_path: Path) -> None:
    given = tmp_path / "built" / "coupdemain-help"
    given.parent.mkdir()
    given.write_bytes(BUILT)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "coupdemain-help").write_bytes(b"an older one")
    binary = AgentBinary(Settings(data_dir=str(tmp_path / "data"), agent_binary=str(given)))
    first = await binary.download("https://help.example.org")
    assert first is not None and first.path == given
    assert b"".join(first.chunks()) == BUILT + first.trailer
    assert first.sha256 == hashlib.sha256(BUILT + first.trailer).hexdigest()

    given.write_bytes(BUILT + b"rebuilt")
    second = await binary.download("https://help.example.org")
    assert second is not None and second.sha256 != first.sha256
    other = await binary.download("https://other.example.org")
    assert other is not None and parse_trailer(b"".join(other.chunks())) == AgentFileConfig(
        server="https://other.example.org")


def test_serve_refuses_an_agent_binary_that_is_not_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "coupdemain-help"
    code = cli.main(["serve", "--data-dir", str(tmp_path), "--agent-binary", str(missing)])
    assert code == 2
    assert capsys.readouterr().err == (
        f"--agent-binary {missing}: there is no such file. Build it with "
        "bash scripts/build-agent.sh (docs/howto/deploy.md).\n")
