from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from coupdemain import config

DOC = Path(__file__).parents[1] / "docs" / "reference" / "configuration.md"


def test_reference_doc_lists_every_setting() -> None:
    assert config.reference_table() in DOC.read_text()


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    config.add_arguments(parser)
    return parser.parse_args(argv)


def test_flag_beats_environment_beats_default() -> None:
    env = {"COUPDEMAIN_PORT": "9000", "COUPDEMAIN_HOST": "0.0.0.0"}
    settings = config.load(parse(["--port", "9100"]), env)
    assert settings.port == 9100
    assert settings.host == "0.0.0.0"
    assert settings.code_ttl_seconds == 600


def test_bad_environment_value_is_named() -> None:
    with pytest.raises(ValueError) as caught:
        config.load(parse([]), {"COUPDEMAIN_PORT": "eighty"})
    assert str(caught.value) == "COUPDEMAIN_PORT='eighty' is not a valid int"


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = config.load(parse(["--data-dir", str(tmp_path)]), {})
    assert settings.resolved_database_url == (
        f"sqlite+aiosqlite:///{tmp_path / 'coupdemain.sqlite3'}"
    )
