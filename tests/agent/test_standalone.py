"""The single-file agent's entry point: the address written into its file, or given."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from coupdemain.agent import command, standalone
from coupdemain.protocol.agent_file import AgentFileConfig, trailer


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[argparse.Namespace]:
    seen: list[argparse.Namespace] = []

    def record(args: argparse.Namespace) -> int:
        seen.append(args)
        return 0

    monkeypatch.setattr(command, "run", record)
    monkeypatch.delenv("COUPDEMAIN_SERVER", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the menu entry goes there
    return seen


def served(tmp_path: Path, server: str) -> Path:
    executable = tmp_path / "coupdemain-help"
    executable.write_bytes(b"\x7fELF" + bytes(64) + trailer(AgentFileConfig(server=server)))
    return executable


def test_the_agent_uses_the_address_written_into_its_file(
    tmp_path: Path, ran: list[argparse.Namespace]
) -> None:
    executable = served(tmp_path, "https://help.example.org")
    assert standalone.main([], executable) == 0
    assert ran[0].server == "https://help.example.org"
    assert ran[0].code is None
    entry = tmp_path / "data" / "applications" / "coupdemain-help.desktop"
    assert f"TryExec={executable}\n" in entry.read_text(encoding="utf-8")


def test_an_address_given_wins_over_the_written_one(
    tmp_path: Path, ran: list[argparse.Namespace], monkeypatch: pytest.MonkeyPatch
) -> None:
    executable = served(tmp_path, "https://help.example.org")
    standalone.main(["--server", "https://other.example.org"], executable)
    monkeypatch.setenv("COUPDEMAIN_SERVER", "https://env.example.org")
    standalone.main([], executable)
    assert [args.server for args in ran] == ["https://other.example.org",
                                             "https://env.example.org"]


def test_without_a_written_address_the_agent_asks_for_one(
    tmp_path: Path, ran: list[argparse.Namespace], capsys: pytest.CaptureFixture[str]
) -> None:
    bare = tmp_path / "coupdemain-help"
    bare.write_bytes(b"\x7fELF")
    with pytest.raises(SystemExit) as exited:
        standalone.main([], bare)
    assert exited.value.code == 2
    assert "the following arguments are required: --server" in capsys.readouterr().err
    assert ran == []
    assert not (tmp_path / "data").exists()  # no menu entry for a file the server did not serve


def test_a_plain_http_server_elsewhere_is_refused_in_words(
    tmp_path: Path, ran: list[argparse.Namespace], monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(standalone, "show_problem", shown.append)
    executable = served(tmp_path, "http://help.example.org")
    assert standalone.main(["--lang", "en"], executable) == 2
    assert shown == [
        "The server address http://help.example.org uses plain HTTP, which others on the "
        "network could read. Use its https:// address, or add --allow-insecure-http if you "
        "trust this network."
    ]
    assert ran == []
