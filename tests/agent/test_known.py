"""The organisations this computer has met, remembered with their server."""

from __future__ import annotations

from pathlib import Path

import pytest

from coupdemain.agent.known import KnownOrganisations, config_dir


def test_the_file_lives_in_the_users_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_dir() == tmp_path / "coupdemain"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config_dir() == tmp_path / "home" / ".config" / "coupdemain"


def test_an_organisation_is_known_once_remembered_on_its_own_server(tmp_path: Path) -> None:
    known = KnownOrganisations(tmp_path / "coupdemain" / "organisations.json")
    assert not known.knows("help.example.org", "Entraide Numérique")
    known.remember("help.example.org", "Entraide Numérique")
    again = KnownOrganisations(known.path)
    assert again.knows("help.example.org", "Entraide Numérique")
    # The same name on another server is a stranger: anyone can name a server so.
    assert not again.knows("help.example.net", "Entraide Numérique")


def test_a_damaged_file_makes_every_organisation_new(tmp_path: Path) -> None:
    path = tmp_path / "organisations.json"
    path.write_text("{not json", encoding="utf-8")
    known = KnownOrganisations(path)
    assert not known.knows("help.example.org", "Entraide Numérique")
    known.remember("help.example.org", "Entraide Numérique")
    assert known.knows("help.example.org", "Entraide Numérique")
