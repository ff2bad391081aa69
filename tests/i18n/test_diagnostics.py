"""Findings as sentences for the console's history, whatever the agent sent."""

from __future__ import annotations

import pytest

from coupdemain.i18n.diagnostics import DiagnosticsTranslator, fill, format_number

PROXY = {"severity": "problem", "code": "proxy_unreachable",
         "params": {"proxy": "127.0.0.1:9", "source": "env:http_proxy"}}


def test_a_finding_in_each_language() -> None:
    assert DiagnosticsTranslator("en").finding(PROXY) == (
        "A proxy 127.0.0.1:9 is configured but does not answer: web pages will not load.")
    assert DiagnosticsTranslator("fr").finding(PROXY) == (
        "Un proxy 127.0.0.1:9 est configuré mais ne répond pas\u00a0: les pages web ne "
        "s'afficheront pas.")


def test_numbers_are_written_as_the_language_writes_them() -> None:
    disk = {"severity": "warning", "code": "disk_almost_full",
            "params": {"mount": "/", "free_gib": "2.9", "free_percent": "4.5"}}
    assert DiagnosticsTranslator("en").finding(disk) == (
        "The disk / is almost full: 2.9 GiB free (4.5 %). Programs may fail to save files.")
    assert DiagnosticsTranslator("fr").finding(disk) == (
        "Le disque / est presque plein\u00a0: 2,9\u00a0Gio libres (4,5\u00a0%). Des programmes "
        "risquent de ne plus pouvoir enregistrer.")
    busy = {"severity": "warning", "code": "high_cpu_process",
            "params": {"name": "firefox", "pid": 12345, "cpu_percent": 87.5}}
    assert DiagnosticsTranslator("fr").finding(busy) == (
        "Le programme firefox (processus 12345) occupe le processeur\u00a0: 87,5\u00a0% d'un cœur.")
    assert format_number(1234, "en") == "1,234"
    assert format_number("12345.25", "fr") == "12\u202f345,25"
    assert format_number("pc-42", "fr") is None
    assert format_number(True, "fr") is None


@pytest.mark.parametrize(
    ("finding", "sentence"),
    [
        ({"code": "proxy_unreachable"},
         "A proxy {proxy} is configured but does not answer: web pages will not load."),
        ({"code": "no_dns_servers", "params": ["not", "a", "dict"]},
         "No DNS server is configured: web addresses cannot be found, so web pages will not "
         "load."),
        ({"code": "from_the_future", "params": {}}, "Finding from_the_future."),
        ({"code": "__class__"}, "Finding __class__."),
        ("proxy_unreachable", "Finding ?."),
        (None, "Finding ?."),
    ],
)
def test_what_the_agent_sent_never_breaks_the_page(finding: object, sentence: str) -> None:
    assert DiagnosticsTranslator("en").finding(finding) == sentence


def test_fill_leaves_unknown_placeholders_and_ignores_format_syntax() -> None:
    assert fill("{a} and {b}", {"a": 1}) == "1 and {b}"
    assert fill("{a}", {"a": "{0.__class__}"}) == "{0.__class__}"
