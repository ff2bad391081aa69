"""Reading this computer: every section, proxies probed on loopback only, startup items.

Proxies are only ever set to loopback addresses here: a port where nothing
listens, or one where the test listens. No traffic leaves the computer.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from coupdemain.agent.diagnostics import build_report, fit, read_report
from coupdemain.agent.diagnostics.collect import (
    PROXY_ENV_VARIABLES,
    Context,
    collect,
    configured_proxies,
    default_gateway,
    dns_servers,
    parse_proxy,
    shows_message,
)
from coupdemain.protocol import messages as m


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh home and no proxy in the environment, whatever this machine has."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for variable in (*PROXY_ENV_VARIABLES, "no_proxy"):
        monkeypatch.delenv(variable, raising=False)
        monkeypatch.delenv(variable.upper(), raising=False)
    return home


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that is bound, so nobody else takes it, but refuses connections."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def listening_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def test_every_section_is_read_on_this_computer(home: Path) -> None:
    sections = collect(Context(home=home))
    assert set(sections) == {"system", "network", "startup", "processes"}
    assert not any(s.get("unavailable") for s in sections.values())
    system = sections["system"]
    assert system["cpu_count"] >= 1 and system["memory_total_bytes"] > 0
    assert system["uptime_seconds"] >= 0 and system["disks"]
    assert any(i["loopback"] for i in sections["network"]["interfaces"])
    assert sections["network"]["proxies"] == []
    assert 0 < len(sections["processes"]["top_memory"]) <= 10
    assert len(sections["processes"]["top_cpu"]) <= 10


def test_a_proxy_where_nothing_listens_is_found(
    home: Path, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("http_proxy", f"http://someone:secret@127.0.0.1:{closed_port}/")
    report = build_report(Context(home=home))
    [proxy] = report.sections["network"]["proxies"]
    assert proxy == {"source": "env:http_proxy", "scheme": "http", "host": "127.0.0.1",
                     "port": closed_port, "address": f"127.0.0.1:{closed_port}",
                     "answers": False}
    assert {"severity": "problem", "code": "proxy_unreachable",
            "params": {"proxy": f"127.0.0.1:{closed_port}", "source": "env:http_proxy"}
            } in report.findings
    assert "secret" not in m.serialize(report)  # credentials never leave the computer


def test_a_proxy_that_answers_is_no_finding(
    home: Path, listening_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", f"127.0.0.1:{listening_port}")
    monkeypatch.setenv("ALL_PROXY", f"socks5://[::1]:{listening_port}")  # nothing on IPv6
    report = build_report(Context(home=home))
    answers = {p["address"]: p["answers"] for p in report.sections["network"]["proxies"]}
    assert answers[f"127.0.0.1:{listening_port}"] is True
    assert [f["params"]["proxy"] for f in report.findings if f["code"] == "proxy_unreachable"
            ] == [f"[::1]:{listening_port}"]


def test_the_desktop_proxy_settings_are_read(home: Path) -> None:
    (home / ".config").mkdir()
    (home / ".config" / "kioslaverc").write_text(
        "[Proxy Settings]\nProxyType=1\nhttpProxy=http://127.0.0.1 3128\nsocksProxy=\n")
    gnome = (
        "org.gnome.system.proxy mode 'manual'\n"
        "org.gnome.system.proxy.http host '127.0.0.2'\n"
        "org.gnome.system.proxy.http port 8080\n"
        "org.gnome.system.proxy.https host ''\n"
        "org.gnome.system.proxy.https port 0\n"
    )
    commands: list[list[str]] = []

    def run(args: list[str], timeout: float) -> str:
        commands.append(args)
        assert timeout <= 2
        return gnome

    context = Context(environ={}, home=home, run=run)
    found = [(p["source"], p["address"]) for p in configured_proxies(context)]
    if commands:  # gsettings is installed here
        assert ("gnome:http", "127.0.0.2:8080") in found
    assert ("kde:httpProxy", "127.0.0.1:3128") in found


@pytest.mark.parametrize(
    ("value", "address"),
    [("proxy.example:3128", "proxy.example:3128"), ("https://10.0.0.1", "10.0.0.1:443"),
     ("socks5h://u:p@[fe80::1]:1080", "[fe80::1]:1080"), ("", None), ("http://:80", None)],
)
def test_parse_proxy(value: str, address: str | None) -> None:
    proxy = parse_proxy(value)
    assert (proxy["address"] if proxy else None) == address


def test_an_autostart_entry_that_shows_a_message(home: Path) -> None:
    autostart = home / ".config" / "autostart"
    autostart.mkdir(parents=True)
    (autostart / "hello.desktop").write_text(
        "[Desktop Entry]\nType=Application\nName=Hello\n"
        "Exec=zenity --info --text='Welcome back'\n"
    )
    (home / ".xprofile").write_text("# notify-send in a comment is fine\nxset s off\n")
    report = build_report(Context(home=home))
    found = [f for f in report.findings if f["code"] == "startup_script_shows_message"]
    assert found == [{"severity": "warning", "code": "startup_script_shows_message",
                      "params": {"name": "Hello", "location": str(autostart / "hello.desktop")}}]


def test_a_login_script_that_shows_a_message(home: Path) -> None:
    (home / ".profile").write_text('PATH="$HOME/bin:$PATH"\n/usr/bin/notify-send "Hi"\n')
    items = collect(Context(home=home))["startup"]["items"]
    [script] = [i for i in items if i["kind"] == "login_script"]
    assert script["shows_message"] and script["command"] == '/usr/bin/notify-send "Hi"'


def test_enabled_user_services_are_listed(home: Path) -> None:
    wants = home / ".config" / "systemd" / "user" / "default.target.wants"
    wants.mkdir(parents=True)
    (wants / "nag.service").write_text("[Service]\nExecStart=/usr/bin/xmessage hello\n")
    items = collect(Context(home=home))["startup"]["items"]
    assert {"kind": "systemd_user", "name": "nag.service", "location": str(wants / "nag.service"),
            "command": "/usr/bin/xmessage hello", "shows_message": True} in items


@pytest.mark.parametrize(
    ("command", "shows"),
    [("zenity --info", True), ("sh -c 'sleep 5; xmessage hi'", True),
     ("/usr/bin/kdialog --msgbox x", True), ("wscript.exe C:\\s.vbs MsgBox", True),
     ("xdg-user-dirs-update", False), ("zenityish", False), ("", False)],
)
def test_shows_message(command: str, shows: bool) -> None:
    assert shows_message(command) is shows


def test_gateway_and_dns_from_the_system_files(tmp_path: Path) -> None:
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "route").write_text(
        "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n"
        "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n"
        "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\n"
    )
    (tmp_path / "resolv.conf").write_text("# generated\nnameserver 192.0.2.53\nsearch lan\n")
    context = Context(environ={}, home=tmp_path, proc=tmp_path, system_config=tmp_path)
    assert default_gateway(context) == ({"address": "192.0.2.1", "interface": "eth0"}, True)
    assert dns_servers(context) == (["192.0.2.53"], True)
    (tmp_path / "net" / "route").write_text("Iface\tDestination\tGateway\tFlags\n")
    (tmp_path / "resolv.conf").write_text("")
    assert default_gateway(context) == (None, True)
    assert dns_servers(context) == ([], True)


def test_a_report_too_large_for_one_message_is_shortened() -> None:
    rows = [{"name": f"p{i}", "command": "x" * 150} for i in range(2000)]
    finding = {"severity": "problem", "code": "proxy_unreachable", "params": {"proxy": "a:1"}}
    report = fit(m.DiagnosticsReport({"startup": {"items": rows}}, [finding]), limit=20_000)
    assert len(m.serialize(report).encode()) <= 20_000
    assert 0 < len(report.sections["startup"]["items"]) < 2000
    assert report.findings == [finding]


async def test_read_report_runs_off_the_loop(home: Path) -> None:
    report = await read_report(Context(home=home))
    assert set(report.sections) == {"system", "network", "startup", "processes"}
    json.dumps(report.sections)  # plain JSON, ready for the wire
