"""The findings drawn from sections: pure functions, word for word in both languages."""

from __future__ import annotations

from typing import Any

import pytest

from coupdemain.agent.diagnostics.findings import GIB, find
from coupdemain.i18n import Translator


def sections(**changes: Any) -> dict[str, Any]:
    """A healthy computer, changed by ``changes`` (section name → facts)."""
    healthy: dict[str, Any] = {
        "system": {
            "memory_total_bytes": 8 * GIB, "memory_available_bytes": 4 * GIB,
            "uptime_seconds": 3600,
            "disks": [{"mount": "/", "total_bytes": 100 * GIB, "free_bytes": 40 * GIB}],
        },
        "network": {
            "interfaces": [
                {"name": "lo", "up": True, "loopback": True,
                 "addresses": [{"family": "ipv4", "address": "127.0.0.1", "netmask": ""}]},
                {"name": "eth0", "up": True, "loopback": False,
                 "addresses": [{"family": "ipv4", "address": "192.0.2.2", "netmask": ""}]},
            ],
            "gateway": {"address": "192.0.2.1", "interface": "eth0"}, "gateway_known": True,
            "dns_servers": ["192.0.2.53"], "dns_known": True, "proxies": [],
        },
        "startup": {"items": []},
        "processes": {"top_cpu": []},
    }
    for name, facts in changes.items():
        healthy[name] = {**healthy[name], **facts}
    return healthy


def codes(found: list[dict[str, Any]]) -> list[str]:
    return [f["code"] for f in found]


def sentence(finding: dict[str, Any], language: str = "en") -> str:
    return Translator("diagnostics", language)(f"finding.{finding['code']}", **finding["params"])


def test_a_healthy_computer_has_no_findings() -> None:
    assert find(sections()) == []


def test_a_proxy_that_does_not_answer() -> None:
    proxy = {"source": "env:http_proxy", "scheme": "http", "host": "127.0.0.1", "port": 9,
             "address": "127.0.0.1:9", "answers": False}
    found = find(sections(network={"proxies": [proxy, {**proxy, "source": "env:HTTP_PROXY"}]}))
    assert found == [{"severity": "problem", "code": "proxy_unreachable",
                      "params": {"proxy": "127.0.0.1:9", "source": "env:http_proxy"}}]
    assert sentence(found[0]) == (
        "A proxy 127.0.0.1:9 is configured but does not answer: web pages will not load.")
    assert sentence(found[0], "fr") == (
        "Un proxy 127.0.0.1:9 est configuré mais ne répond pas\u00a0: les pages web ne "
        "s'afficheront pas.")


@pytest.mark.parametrize("answers", [True, None])
def test_a_proxy_that_answers_or_was_not_checked_is_no_finding(answers: bool | None) -> None:
    proxy = {"address": "127.0.0.1:9", "answers": answers}
    assert find(sections(network={"proxies": [proxy]})) == []


def test_no_gateway_and_no_dns_only_when_the_platform_could_tell() -> None:
    broken = sections(network={"gateway": None, "dns_servers": []})
    assert codes(find(broken)) == ["no_default_gateway", "no_dns_servers"]
    unknown = sections(network={"gateway": None, "gateway_known": False, "dns_servers": [],
                                "dns_known": False})
    assert find(unknown) == []


def test_offline_when_only_loopback_has_an_address() -> None:
    network = sections()["network"]
    found = find(sections(network={"interfaces": network["interfaces"][:1]}))
    assert codes(found) == ["no_network_address"]
    assert sentence(found[0]) == (
        "No network connection is up with an address: this computer is offline.")


@pytest.mark.parametrize(
    ("total", "free", "expected"),
    [
        (100 * GIB, 4 * GIB, ["disk_almost_full"]),      # under 5 %
        (100 * GIB, int(0.5 * GIB), ["disk_almost_full"]),  # under 1 GiB
        (100 * GIB, 6 * GIB, []),
        (int(0.5 * GIB), int(0.3 * GIB), []),            # a small /boot: 60 % free
    ],
)
def test_disk_almost_full(total: int, free: int, expected: list[str]) -> None:
    disks = [{"mount": "/home", "total_bytes": total, "free_bytes": free}]
    assert codes(find(sections(system={"disks": disks}))) == expected


def test_disk_almost_full_in_words() -> None:
    disks = [{"mount": "/home", "total_bytes": 100 * GIB, "free_bytes": 3 * GIB}]
    [found] = find(sections(system={"disks": disks}))
    assert found["severity"] == "warning"
    assert sentence(found) == (
        "The disk /home is almost full: 3.0 GiB free (3 %). Programs may fail to save files.")


def test_memory_low() -> None:
    [found] = find(sections(system={"memory_available_bytes": GIB // 2}))
    assert sentence(found) == (
        "Memory is almost used up: 6 % free (512 MiB). The computer may be slow.")


def test_startup_script_shows_message() -> None:
    items = [
        {"kind": "autostart", "name": "Hello",
         "location": "/home/a/.config/autostart/hello.desktop", "shows_message": True},
        {"kind": "autostart", "name": "Quiet", "location": "/etc/xdg/autostart/q.desktop",
         "shows_message": False},
    ]
    [found] = find(sections(startup={"items": items}))
    assert sentence(found) == (
        "A script in the startup items shows a message at every login: Hello "
        "(/home/a/.config/autostart/hello.desktop).")


def test_high_cpu_process_and_long_uptime() -> None:
    top = [{"pid": 42, "name": "miner", "cpu_percent": 97.5}, {"pid": 7, "name": "ok",
                                                              "cpu_percent": 12.0}]
    found = find(sections(processes={"top_cpu": top}, system={"uptime_seconds": 40 * 86400}))
    assert [sentence(f) for f in found] == [
        "The program miner (process 42) keeps the processor busy: 98 % of one core.",
        "The computer has not restarted for 40 days. A restart may help.",
    ]


def test_problems_come_first_and_unreadable_sections_are_said() -> None:
    proxy = {"address": "127.0.0.1:9", "answers": False}
    found = find({**sections(network={"proxies": [proxy]}), "processes": {"unavailable": True}})
    assert codes(found) == ["proxy_unreachable", "section_unavailable"]
    assert found[1]["params"] == {"section": "processes"}


def test_every_finding_has_a_sentence_in_both_languages() -> None:
    from coupdemain.agent.diagnostics import findings as module
    from coupdemain.i18n import catalog

    for language in ("en", "fr"):
        keys = catalog("diagnostics", language)
        for rule in module.RULES:
            code = rule.__name__ if rule.__name__ != "unavailable_sections" else (
                "section_unavailable")
            assert f"finding.{code}" in keys, (language, code)
