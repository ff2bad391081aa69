"""The trailer that carries the server's address at the end of the single-file agent."""

from __future__ import annotations

from pathlib import Path

from coupdemain.protocol.agent_file import (
    MAGIC,
    AgentFileConfig,
    parse_trailer,
    read_config,
    trailer,
)


def test_a_trailer_after_any_bytes_gives_the_address_back(tmp_path: Path) -> None:
    config = AgentFileConfig(server="https://help.example.org/support")
    executable = tmp_path / "coupdemain-help"
    executable.write_bytes(b"\x7fELF" + bytes(100_000) + trailer(config))
    assert read_config(executable) == config


def test_the_trailer_layout_is_json_length_magic() -> None:
    assert trailer(AgentFileConfig(server="http://127.0.0.1:8765")) == (
        b'{"server":"http://127.0.0.1:8765"}' + b"\x00\x00\x00\x22" + b"coupdemain-cfg:1\n"
    )


def test_a_file_without_a_trailer_has_no_config(tmp_path: Path) -> None:
    executable = tmp_path / "coupdemain-help"
    executable.write_bytes(b"\x7fELF" + bytes(1000))
    assert read_config(executable) is None
    assert read_config(tmp_path / "missing") is None


def test_a_damaged_trailer_is_no_config() -> None:
    good = trailer(AgentFileConfig(server="https://help.example.org"))
    assert parse_trailer(good[1:]) is None                     # the length points too far
    assert parse_trailer(b"x" * 10 + b"\xff\xff\xff\xff" + MAGIC) is None  # too long
    assert parse_trailer(b"{nope}" + b"\x00\x00\x00\x06" + MAGIC) is None  # not JSON
    assert parse_trailer(b'{"server":1}' + b"\x00\x00\x00\x0c" + MAGIC) is None
    assert parse_trailer(b'[1]' + b"\x00\x00\x00\x03" + MAGIC) is None
    assert parse_trailer(MAGIC) is None


def test_a_devices_file_carries_its_enrolment_token_and_its_trailers_length(
    tmp_path: Path,
) -> None:
    from coupdemain.protocol.agent_file import trailer_length

    config = AgentFileConfig(server="https://help.example.org", enrolment_token="tok-123")
    executable = tmp_path / "coupdemain-agent"
    executable.write_bytes(b"\x7fELF" + bytes(1000) + trailer(config))
    assert read_config(executable) == config
    assert "tok-123" not in repr(config)
    assert trailer_length(executable) == len(trailer(config))
    assert executable.read_bytes()[:-trailer_length(executable)] == b"\x7fELF" + bytes(1000)
    plain = tmp_path / "plain"
    plain.write_bytes(b"\x7fELF" + bytes(1000))
    assert trailer_length(plain) == 0
    too_long = parse_trailer(b'{"server":"https://h","enrolment_token":"' + b"x" * 300 + b'"}'
                             + (len(b'{"server":"https://h","enrolment_token":"') + 302)
                             .to_bytes(4, "big") + MAGIC)
    assert too_long == AgentFileConfig(server="https://h")
