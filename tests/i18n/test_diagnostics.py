"""Findings as sentences for the console's history, whatever the agent sent."""

from __future__ import annotations

import pytest

from coupdemain.i18n.diagnostics import DiagnosticsTranslator, fill

PROXY = {"severity": "problem", "code": "proxy_unreachable",
         "params": {"proxy": "127.0.0.1:9", "source": "env:http_proxy"}}


def test_a_finding_in_each_language() -> None:
    assert DiagnosticsTranslator("en").finding(PROXY) == (
        "A proxy 127.0.0.1:9 is configured but does not answer: web pages will not load.")
    assert DiagnosticsTranslator("fr").finding(PROXY) == (
        "Un proxy 127.0.0.1:9 est configuré mais ne répond pas\u00a0: les pages web ne "
        "s'afficheront pas.")


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
