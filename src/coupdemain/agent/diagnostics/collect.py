"""Reads the computer's settings for a remote diagnosis: system, network, startup, processes.

Every reader is bounded in count and time: lists are cut to a few dozen
entries, files are read up to ``MAX_FILE_BYTES``, subprocesses and proxy
probes have short timeouts, and the whole collection shares one
``Deadline``. The only traffic it sends is a TCP connect to each proxy the
computer is configured to use (``probe``), to tell whether it answers.
Nothing is changed.

It blocks (process sampling, probes, subprocesses): callers run it in a
thread (``diagnostics.read_report``).
"""

from __future__ import annotations

import concurrent.futures
import configparser
import ipaddress
import itertools
import logging
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil  # type: ignore[import-untyped]  # psutil ships no type information

logger = logging.getLogger("coupdemain.agent.diagnostics")

DEADLINE_SECONDS = 8.0
PROBE_TIMEOUT_SECONDS = 1.5
SUBPROCESS_TIMEOUT_SECONDS = 2.0
CPU_SAMPLE_SECONDS = 0.5
MAX_FILE_BYTES = 64 * 1024
MAX_TEXT = 200              # characters of any one value
MAX_INTERFACES = 24
MAX_ADDRESSES = 8           # per interface
MAX_DISKS = 24
MAX_DNS_SERVERS = 8
MAX_PROXIES = 8
MAX_STARTUP_ITEMS = 40
MAX_PROCESSES_SCANNED = 5000
TOP_PROCESSES = 10

PROXY_ENV_VARIABLES = ("http_proxy", "https_proxy", "ftp_proxy", "all_proxy")
NO_PROXY_VARIABLES = ("no_proxy", "NO_PROXY")
DEFAULT_PORTS = {"http": 80, "https": 443, "socks": 1080, "socks4": 1080, "socks5": 1080,
                 "socks5h": 1080, "ftp": 21}
# Disks on the network can hang a stat; they are not this computer's disks anyway.
REMOTE_FILESYSTEMS = frozenset({"nfs", "nfs4", "cifs", "smb", "smbfs", "sshfs", "fuse.sshfs",
                                "afs", "9p", "davfs", "fuse.rclone"})
# Programs whose only purpose is to pop a message up on the screen.
MESSAGE_PROGRAMS = frozenset({"zenity", "xmessage", "gxmessage", "notify-send", "kdialog", "yad",
                              "msg", "msg.exe", "msgbox"})
LOGIN_SCRIPTS = (".profile", ".bash_profile", ".bash_login", ".xprofile", ".xsessionrc",
                 ".xinitrc", ".zprofile")


@dataclass
class Deadline:
    """The moment by which the collection must be done."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def left(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def passed(self) -> bool:
        return self.left() <= 0


@dataclass
class Context:
    """Where the readers look, so that tests can point them at a temporary home.

    Args:
        environ: the environment variables (proxies).
        home: the person's home folder (autostart, login scripts, KDE settings).
        deadline: when the collection must end.
        system_config: ``/etc`` or a test's stand-in.
        proc: ``/proc`` or a test's stand-in.
        probe: tells whether a proxy answers: True, False, or None when not checked.
        run: runs a command and returns its output, or None.
    """

    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    home: Path = field(default_factory=Path.home)
    deadline: Deadline = field(default_factory=lambda: Deadline.after(DEADLINE_SECONDS))
    system_config: Path = Path("/etc")
    proc: Path = Path("/proc")
    probe: Callable[[str, int, float], bool | None] | None = None
    run: Callable[[list[str], float], str | None] | None = None

    def probe_proxy(self, host: str, port: int) -> bool | None:
        timeout = min(PROBE_TIMEOUT_SECONDS, self.deadline.left())
        if timeout <= 0.05:
            return None
        return (self.probe or tcp_answers)(host, port, timeout)

    def command(self, args: list[str]) -> str | None:
        timeout = min(SUBPROCESS_TIMEOUT_SECONDS, self.deadline.left())
        if timeout <= 0.05:
            return None
        return (self.run or run_command)(args, timeout)


def collect(context: Context | None = None) -> dict[str, Any]:
    """Reads the four sections; a section that fails is marked ``unavailable``.

    Returns:
        ``{"system": {...}, "network": {...}, "startup": {...}, "processes": {...}}``
    """
    context = context or Context()
    readers: dict[str, Callable[[Context], dict[str, Any]]] = {
        "system": read_system, "network": read_network,
        "startup": read_startup, "processes": read_processes,
    }
    sections: dict[str, Any] = {}
    for name, read in readers.items():
        try:
            sections[name] = read(context)
        except Exception:  # one unreadable section must not lose the others
            logger.warning("the %s section could not be read", name, exc_info=True)
            sections[name] = {"unavailable": True}
    return sections


# --- system -----------------------------------------------------------------


def read_system(context: Context) -> dict[str, Any]:
    """OS, processor, memory, disks and uptime."""
    memory = psutil.virtual_memory()
    swap = psutil.swap_memory()
    boot = float(psutil.boot_time())
    return {
        "os": clip(f"{platform.system()} {platform.release()}"),
        "os_version": clip(os_description(context)),
        "hostname": clip(socket.gethostname()),
        "architecture": platform.machine(),
        "cpu_model": clip(cpu_model(context)),
        "cpu_count": psutil.cpu_count(logical=True) or 0,
        "memory_total_bytes": int(memory.total),
        "memory_available_bytes": int(memory.available),
        "memory_used_percent": round(float(memory.percent), 1),
        "swap_total_bytes": int(swap.total),
        "swap_used_percent": round(float(swap.percent), 1),
        "boot_at": round(boot),
        "uptime_seconds": max(0, round(time.time() - boot)),
        "disks": read_disks(),
    }


def os_description(context: Context) -> str:
    """The distribution's pretty name (Linux), else what ``platform`` says."""
    release = read_text(context.system_config / "os-release")
    for line in (release or "").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.partition("=")[2].strip().strip('"')
    return platform.version()


def cpu_model(context: Context) -> str:
    for line in (read_text(context.proc / "cpuinfo") or "").splitlines():
        if line.lower().startswith(("model name", "hardware")):
            return line.partition(":")[2].strip()
    return platform.processor()


def read_disks() -> list[dict[str, Any]]:
    disks: list[dict[str, Any]] = []
    seen: set[str] = set()
    for partition in psutil.disk_partitions(all=False):
        if len(disks) >= MAX_DISKS:
            break
        if partition.fstype in REMOTE_FILESYSTEMS or partition.mountpoint in seen:
            continue
        if "cdrom" in partition.opts or partition.fstype in ("squashfs", "iso9660"):
            continue  # read-only images are always "full"
        seen.add(partition.mountpoint)
        try:
            usage = psutil.disk_usage(partition.mountpoint)
        except OSError:
            continue
        disks.append({
            "mount": clip(partition.mountpoint), "device": clip(partition.device),
            "filesystem": clip(partition.fstype), "total_bytes": int(usage.total),
            "free_bytes": int(usage.free), "used_percent": round(float(usage.percent), 1),
        })
    return disks


# --- network ----------------------------------------------------------------


def read_network(context: Context) -> dict[str, Any]:
    """Addresses per interface, the default gateway, DNS servers and proxies (probed)."""
    gateway, gateway_known = default_gateway(context)
    dns, dns_known = dns_servers(context)
    proxies = configured_proxies(context)
    probe_all(context, proxies)
    no_proxy = next((context.environ[v] for v in NO_PROXY_VARIABLES if context.environ.get(v)), "")
    return {
        "interfaces": interfaces(),
        "gateway": gateway,
        "gateway_known": gateway_known,
        "dns_servers": dns,
        "dns_known": dns_known,
        "proxies": proxies,
        "no_proxy": clip(no_proxy),
    }


def interfaces() -> list[dict[str, Any]]:
    stats = psutil.net_if_stats()
    result: list[dict[str, Any]] = []
    for name, addresses in sorted(psutil.net_if_addrs().items()):
        if len(result) >= MAX_INTERFACES:
            break
        listed: list[dict[str, str]] = []
        for address in addresses:
            family = {socket.AF_INET: "ipv4", socket.AF_INET6: "ipv6"}.get(address.family)
            if family is None or len(listed) >= MAX_ADDRESSES:
                continue
            listed.append({"family": family, "address": clip(address.address),
                           "netmask": clip(address.netmask or "")})
        up = stats.get(name)
        loopback = bool(listed) and all(is_loopback(a["address"]) for a in listed)
        result.append({"name": clip(name), "up": bool(up.isup) if up else False,
                       "loopback": loopback, "addresses": listed})
    return result


def default_gateway(context: Context) -> tuple[dict[str, str] | None, bool]:
    """The IPv4 default route (Linux ``/proc/net/route``).

    Returns:
        (gateway or None, whether this platform could tell)
    """
    table = read_text(context.proc / "net" / "route")
    if table is None:
        return None, False
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 4 or fields[1] != "00000000":
            continue
        try:
            flags, raw = int(fields[3], 16), int(fields[2], 16)
        except ValueError:
            continue
        if flags & 0x1 and flags & 0x2:  # RTF_UP and RTF_GATEWAY
            address = socket.inet_ntoa(raw.to_bytes(4, "little"))
            return {"address": address, "interface": clip(fields[0])}, True
    return None, True


def dns_servers(context: Context) -> tuple[list[str], bool]:
    """The name servers of ``/etc/resolv.conf``; (servers, whether this platform could tell)."""
    text = read_text(context.system_config / "resolv.conf")
    if text is None:
        return [], sys.platform.startswith("linux")
    servers: list[str] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "nameserver" and len(servers) < MAX_DNS_SERVERS:
            servers.append(clip(fields[1]))
    return servers, True


# --- proxies ----------------------------------------------------------------


def parse_proxy(value: str, default_scheme: str = "http") -> dict[str, Any] | None:
    """``http://user:secret@host:8080/`` → scheme, host and port; never the credentials.

    Returns:
        None for an empty or unreadable value.
    """
    value = value.strip()
    if not value:
        return None
    if "://" not in value:
        value = f"{default_scheme}://{value}"
    try:
        parts = urlsplit(value)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    scheme = parts.scheme.lower()
    port = port or DEFAULT_PORTS.get(scheme, 80)
    return {"scheme": scheme, "host": host, "port": port, "address": host_port(host, port)}


def host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def configured_proxies(context: Context) -> list[dict[str, Any]]:
    """Every proxy set in the environment or the desktop's settings, without duplicates."""
    found: list[dict[str, Any]] = []

    def add(source: str, value: str, default_scheme: str = "http") -> None:
        proxy = parse_proxy(value, default_scheme)
        if proxy is None or len(found) >= MAX_PROXIES * 2:
            return
        found.append({"source": source, **proxy})

    for variable in PROXY_ENV_VARIABLES:
        for name in (variable, variable.upper()):
            if context.environ.get(name):
                add(f"env:{name}", context.environ[name])
    for source, value, scheme in gnome_proxies(context):
        add(source, value, scheme)
    for source, value, scheme in kde_proxies(context):
        add(source, value, scheme)
    for source, value, scheme in windows_proxies():
        add(source, value, scheme)
    return found


def gnome_proxies(context: Context) -> Iterable[tuple[str, str, str]]:
    """GNOME's manual proxies, from one ``gsettings list-recursively`` call."""
    if shutil.which("gsettings") is None:
        return []
    output = context.command(["gsettings", "list-recursively", "org.gnome.system.proxy"])
    if not output:
        return []
    values: dict[tuple[str, str], str] = {}
    for line in output.splitlines()[:200]:
        schema, _, rest = line.partition(" ")
        key, _, value = rest.partition(" ")
        values[(schema, key)] = value.strip().strip("'")
    if values.get(("org.gnome.system.proxy", "mode")) != "manual":
        return []
    proxies = []
    for kind in ("http", "https", "ftp", "socks"):
        schema = f"org.gnome.system.proxy.{kind}"
        host = values.get((schema, "host"), "")
        port = values.get((schema, "port"), "0")
        if host and port.isdigit() and int(port) > 0:
            scheme = "socks5" if kind == "socks" else "http"
            proxies.append((f"gnome:{kind}", f"{scheme}://{host_port(host, int(port))}", scheme))
    return proxies


def kde_proxies(context: Context) -> Iterable[tuple[str, str, str]]:
    """KDE's manual proxies (``~/.config/kioslaverc``, ``ProxyType=1``)."""
    text = read_text(context.home / ".config" / "kioslaverc")
    if text is None:
        return []
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    if not parser.has_section("Proxy Settings"):
        return []
    settings = parser["Proxy Settings"]
    if settings.get("ProxyType", "0").strip() != "1":
        return []
    proxies = []
    for key in ("httpProxy", "httpsProxy", "ftpProxy", "socksProxy"):
        value = settings.get(key, "").strip()
        if not value:
            continue
        # KDE writes "http://host port" as well as "http://host:port".
        if " " in value:
            address, _, port = value.rpartition(" ")
            value = f"{address}:{port}" if port.isdigit() else address
        scheme = "socks5" if key == "socksProxy" else "http"
        proxies.append((f"kde:{key}", value, scheme))
    return proxies


def windows_proxies() -> Iterable[tuple[str, str, str]]:
    """The proxy of Windows' Internet Settings (``ProxyEnable``, ``ProxyServer``)."""
    if sys.platform != "win32":
        return []
    import winreg

    path = r"Software\Microsoft\Windows\CurrentVersion\Internet Settings"
    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, path) as key:
            enabled = winreg.QueryValueEx(key, "ProxyEnable")[0]
            server = str(winreg.QueryValueEx(key, "ProxyServer")[0])
    except OSError:
        return []
    if not enabled or not server:
        return []
    proxies = []
    # "host:port" for every protocol, or "http=host:port;https=host:port".
    for part in server.split(";")[:MAX_PROXIES]:
        kind, _, address = part.rpartition("=")
        scheme = "socks5" if kind == "socks" else "http"
        proxies.append((f"windows:{kind or 'all'}", address, scheme))
    return proxies


def probe_all(context: Context, proxies: list[dict[str, Any]]) -> None:
    """Sets ``answers`` on each proxy: one TCP connect per distinct address, in parallel."""
    addresses = list(dict.fromkeys((p["host"], p["port"]) for p in proxies))[:MAX_PROXIES]
    results: dict[tuple[str, int], bool | None] = {}
    if addresses:
        with concurrent.futures.ThreadPoolExecutor(len(addresses)) as pool:
            futures = {a: pool.submit(context.probe_proxy, *a) for a in addresses}
            for address, future in futures.items():
                try:
                    results[address] = future.result(timeout=PROBE_TIMEOUT_SECONDS + 1)
                except Exception:  # a probe that fails to run is "not checked"
                    logger.debug("probing %s failed", address, exc_info=True)
                    results[address] = None
    for proxy in proxies:
        proxy["answers"] = results.get((proxy["host"], proxy["port"]))


def tcp_answers(host: str, port: int, timeout: float) -> bool:
    """Whether something accepts a TCP connection at host:port within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return address == "localhost"


# --- startup ----------------------------------------------------------------


def read_startup(context: Context) -> dict[str, Any]:
    """What starts with the session: autostart entries, login scripts, user services."""
    items: list[dict[str, Any]] = []
    sources: list[Callable[[Context], Iterable[dict[str, Any]]]] = [
        autostart_entries, login_scripts, systemd_user_units, windows_startup,
    ]
    for source in sources:
        for item in source(context):
            if len(items) >= MAX_STARTUP_ITEMS:
                return {"items": items, "truncated": True}
            items.append(item)
    return {"items": items, "truncated": False}


def autostart_entries(context: Context) -> Iterable[dict[str, Any]]:
    """XDG autostart ``.desktop`` files; the person's own hide the system's of the same name."""
    own = context.home / ".config" / "autostart"
    system = context.system_config / "xdg" / "autostart"
    seen: set[str] = set()
    for folder in (own, system):
        for path in sorted_files(folder, "*.desktop"):
            if path.name in seen:
                continue
            seen.add(path.name)
            entry = desktop_entry(read_text(path) or "")
            if entry.get("Hidden", "").lower() == "true":
                continue
            command = entry.get("Exec", "")
            yield {
                "kind": "autostart", "name": clip(entry.get("Name", path.stem)),
                "location": clip(str(path)), "command": clip(command),
                "shows_message": shows_message(command),
            }


def desktop_entry(text: str) -> dict[str, str]:
    """The keys of a ``.desktop`` file's ``[Desktop Entry]`` group (untranslated)."""
    values: dict[str, str] = {}
    group = ""
    for line in text.splitlines()[:500]:
        line = line.strip()
        if line.startswith("["):
            group = line
        elif group == "[Desktop Entry]" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), value.strip())
    return values


def login_scripts(context: Context) -> Iterable[dict[str, Any]]:
    for name in LOGIN_SCRIPTS:
        path = context.home / name
        text = read_text(path)
        if text is None:
            continue
        lines = [line.strip() for line in text.splitlines()[:2000]]
        calls = [line for line in lines if line and not line.startswith("#")
                 and shows_message(line)]
        yield {
            "kind": "login_script", "name": name, "location": clip(str(path)),
            "command": clip(calls[0] if calls else ""), "shows_message": bool(calls),
        }


def systemd_user_units(context: Context) -> Iterable[dict[str, Any]]:
    """Units the person enabled: links under ``~/.config/systemd/user/*.wants``."""
    base = context.home / ".config" / "systemd" / "user"
    for wants in sorted_files(base, "*.wants"):
        for unit in sorted_files(wants, "*"):
            text = read_text(unit) or ""
            command = next((line.partition("=")[2].strip() for line in text.splitlines()[:500]
                            if line.strip().startswith("ExecStart=")), "")
            yield {
                "kind": "systemd_user", "name": clip(unit.name), "location": clip(str(unit)),
                "command": clip(command), "shows_message": shows_message(command),
            }


def windows_startup(context: Context) -> Iterable[dict[str, Any]]:
    """The Startup folders and the Run and RunOnce keys."""
    if sys.platform != "win32":
        return
    import winreg

    folders = [
        Path(context.environ.get("APPDATA", "")) / r"Microsoft\Windows\Start Menu\Programs\Startup",
        Path(context.environ.get("PROGRAMDATA", ""))
        / r"Microsoft\Windows\Start Menu\Programs\StartUp",
    ]
    for folder in folders:
        for path in sorted_files(folder, "*"):
            script = path.suffix.lower() in (".bat", ".cmd", ".vbs", ".ps1")
            text = read_text(path) if script else ""
            yield {
                "kind": "startup_folder", "name": clip(path.name), "location": clip(str(folder)),
                "command": clip(str(path)), "shows_message": shows_message(text or ""),
            }
    run_keys = [
        (winreg.HKEY_CURRENT_USER, "HKCU", r"Software\Microsoft\Windows\CurrentVersion\Run"),
        (winreg.HKEY_CURRENT_USER, "HKCU", r"Software\Microsoft\Windows\CurrentVersion\RunOnce"),
        (winreg.HKEY_LOCAL_MACHINE, "HKLM", r"Software\Microsoft\Windows\CurrentVersion\Run"),
        (winreg.HKEY_LOCAL_MACHINE, "HKLM", r"Software\Microsoft\Windows\CurrentVersion\RunOnce"),
    ]
    for hive, hive_name, path in run_keys:
        try:
            with winreg.OpenKey(hive, path) as key:
                for index in range(MAX_STARTUP_ITEMS):
                    try:
                        name, value, _ = winreg.EnumValue(key, index)
                    except OSError:
                        break
                    yield {
                        "kind": "run_key", "name": clip(str(name)),
                        "location": f"{hive_name}\\{path}", "command": clip(str(value)),
                        "shows_message": shows_message(str(value)),
                    }
        except OSError:
            continue


def shows_message(command: str) -> bool:
    """Whether a command line runs a program that pops up a message (zenity, xmessage…)."""
    lowered = command.lower()
    if "msgbox" in lowered:  # VBScript's and PowerShell's message boxes
        return True
    for word in lowered.replace(";", " ").replace("|", " ").replace("&", " ").split():
        program = word.strip("\"'()`").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
        if program in MESSAGE_PROGRAMS:
            return True
    return False


# --- processes --------------------------------------------------------------


def read_processes(context: Context) -> dict[str, Any]:
    """The top processes by processor and by memory, sampled over ``CPU_SAMPLE_SECONDS``."""
    processes: list[Any] = []
    for process in psutil.process_iter():
        if len(processes) >= MAX_PROCESSES_SCANNED:
            break
        try:
            process.cpu_percent(None)  # starts the sample
            processes.append(process)
        except psutil.Error:
            continue
    psutil.cpu_percent(None)
    time.sleep(min(CPU_SAMPLE_SECONDS, context.deadline.left()))
    total_cpu = float(psutil.cpu_percent(None))
    rows: list[dict[str, Any]] = []
    for process in processes:
        try:
            with process.oneshot():
                rows.append({
                    "pid": int(process.pid), "name": clip(process.name()),
                    "user": clip(safe_username(process)),
                    "cpu_percent": round(float(process.cpu_percent(None)), 1),
                    "memory_percent": round(float(process.memory_percent()), 1),
                    "memory_bytes": int(process.memory_info().rss),
                })
        except psutil.Error:
            continue
    busy = [r for r in rows if r["cpu_percent"] > 0]
    by_cpu = sorted(busy, key=lambda r: r["cpu_percent"], reverse=True)[:TOP_PROCESSES]
    by_memory = sorted(rows, key=lambda r: r["memory_bytes"], reverse=True)[:TOP_PROCESSES]
    return {"count": len(rows), "cpu_percent": round(total_cpu, 1),
            "top_cpu": by_cpu, "top_memory": by_memory}


def safe_username(process: Any) -> str:
    try:
        return str(process.username())
    except (psutil.Error, KeyError):  # KeyError: a uid without a name
        return ""


# --- helpers ----------------------------------------------------------------


def clip(value: str) -> str:
    return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"


def read_text(path: Path) -> str | None:
    """The start of a text file, or None if it cannot be read."""
    try:
        with path.open("rb") as file:
            return file.read(MAX_FILE_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None


def sorted_files(folder: Path, pattern: str) -> list[Path]:
    try:
        # A folder of thousands of files is cut before sorting, not after.
        return sorted(itertools.islice(folder.glob(pattern), 1000))[:MAX_STARTUP_ITEMS]
    except OSError:
        return []


def run_command(args: list[str], timeout: float) -> str | None:
    """A command's output, or None if it failed or took longer than ``timeout``."""
    try:
        result = subprocess.run(
            args, capture_output=True, text=True, timeout=timeout, check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout[:MAX_FILE_BYTES] if result.returncode == 0 else None
