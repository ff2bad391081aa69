"""What stands out in the sections read by ``collect``, as findings the technician reads.

Pure functions: sections in, findings out. A finding is
``{"severity": Severity, "code": str, "params": {str: str}}``;
the ``diagnostics`` catalog turns it into a sentence (``finding.<code>``,
placeholders from ``params``) in the reader's language, in the viewer and
in the session's history (docs/reference/protocol.md, *diagnostics_report*).
Params are strings, ready to be placed in a sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ...protocol.enums import Severity

Finding = dict[str, Any]
Sections = dict[str, Any]

PROBLEM = Severity.PROBLEM
WARNING = Severity.WARNING
INFO = Severity.INFO
SEVERITY_ORDER = {PROBLEM: 0, WARNING: 1, INFO: 2}

GIB = 1024**3
DISK_FREE_PERCENT = 5.0
DISK_FREE_BYTES = 1 * GIB
# Under this size a disk is a small system partition (/boot, EFI): 1 GiB free is plenty.
DISK_SMALL_BYTES = 8 * GIB
MEMORY_AVAILABLE_PERCENT = 10.0
HIGH_CPU_PERCENT = 80.0       # of one processor core
LONG_UPTIME_DAYS = 30
MAX_FINDINGS = 30
MAX_SAME_KIND = 5             # e.g. at most five "high_cpu_process"


def finding(severity: Severity, code: str, **params: object) -> Finding:
    return {"severity": severity, "code": code, "params": {k: str(v) for k, v in params.items()}}


def find(sections: Sections) -> list[Finding]:
    """Every finding of every rule, problems first, at most ``MAX_FINDINGS``."""
    found: list[Finding] = []
    for rule in RULES:
        found.extend(list(rule(sections))[:MAX_SAME_KIND])
    found.sort(key=lambda f: SEVERITY_ORDER.get(f["severity"], 3))
    return found[:MAX_FINDINGS]


def section(sections: Sections, name: str) -> dict[str, Any]:
    value = sections.get(name)
    return value if isinstance(value, dict) and not value.get("unavailable") else {}


def unavailable_sections(sections: Sections) -> Iterator[Finding]:
    for name, value in sections.items():
        if isinstance(value, dict) and value.get("unavailable"):
            yield finding(INFO, "section_unavailable", section=name)


# --- network ----------------------------------------------------------------


def proxy_unreachable(sections: Sections) -> Iterator[Finding]:
    """A configured proxy that refused or ignored a connection: nothing web works."""
    seen: set[str] = set()
    for proxy in section(sections, "network").get("proxies", []):
        address = str(proxy.get("address", ""))
        if proxy.get("answers") is False and address not in seen:
            seen.add(address)
            yield finding(PROBLEM, "proxy_unreachable", proxy=address,
                          source=proxy.get("source", ""))


def no_default_gateway(sections: Sections) -> Iterator[Finding]:
    network = section(sections, "network")
    if network.get("gateway_known") and not network.get("gateway"):
        yield finding(PROBLEM, "no_default_gateway")


def no_dns_servers(sections: Sections) -> Iterator[Finding]:
    network = section(sections, "network")
    if network.get("dns_known") and not network.get("dns_servers"):
        yield finding(PROBLEM, "no_dns_servers")


def no_network_address(sections: Sections) -> Iterator[Finding]:
    """No connection is up with an address, apart from the computer's own loopback."""
    network = section(sections, "network")
    if "interfaces" not in network:
        return
    for interface in network["interfaces"]:
        if interface.get("up") and not interface.get("loopback") and interface.get("addresses"):
            return
    yield finding(PROBLEM, "no_network_address")


# --- system -----------------------------------------------------------------


def disk_almost_full(sections: Sections) -> Iterator[Finding]:
    for disk in section(sections, "system").get("disks", []):
        total, free = int(disk.get("total_bytes", 0)), int(disk.get("free_bytes", 0))
        if total <= 0:
            continue
        percent = 100.0 * free / total
        if percent < DISK_FREE_PERCENT or (total >= DISK_SMALL_BYTES and free < DISK_FREE_BYTES):
            yield finding(WARNING if percent >= 1 else PROBLEM, "disk_almost_full",
                          mount=disk.get("mount", "?"), free_gib=f"{free / GIB:.1f}",
                          free_percent=f"{percent:.0f}")


def memory_low(sections: Sections) -> Iterator[Finding]:
    system = section(sections, "system")
    total, available = system.get("memory_total_bytes", 0), system.get("memory_available_bytes")
    if total and available is not None:
        percent = 100.0 * available / total
        if percent < MEMORY_AVAILABLE_PERCENT:
            yield finding(WARNING, "memory_low", available_percent=f"{percent:.0f}",
                          available_mib=available // 1024**2)


def long_uptime(sections: Sections) -> Iterator[Finding]:
    days = int(section(sections, "system").get("uptime_seconds", 0)) // 86400
    if days >= LONG_UPTIME_DAYS:
        yield finding(INFO, "long_uptime", days=days)


# --- startup and processes --------------------------------------------------


def startup_script_shows_message(sections: Sections) -> Iterator[Finding]:
    """An autostart entry or a login script that pops a message up at every login."""
    for item in section(sections, "startup").get("items", []):
        if item.get("shows_message"):
            yield finding(WARNING, "startup_script_shows_message", name=item.get("name", "?"),
                          location=item.get("location", "?"))


def high_cpu_process(sections: Sections) -> Iterator[Finding]:
    for process in section(sections, "processes").get("top_cpu", []):
        percent = float(process.get("cpu_percent", 0))
        if percent >= HIGH_CPU_PERCENT:
            yield finding(WARNING, "high_cpu_process", name=process.get("name", "?"),
                          pid=process.get("pid", "?"), cpu_percent=f"{percent:.0f}")


RULES: tuple[Callable[[Sections], Iterator[Finding]], ...] = (
    proxy_unreachable, no_default_gateway, no_dns_servers, no_network_address,
    disk_almost_full, memory_low, startup_script_shows_message, high_cpu_process,
    long_uptime, unavailable_sections,
)
