"""A network namespace where two Chromiums can reach each other over WebRTC.

Chromium offers no host candidate on loopback and gathers none without a
non-loopback interface and a default route, so the browser-share tests and
the bench's ``browser_share`` stack run the browsers (and what they talk
to) in a namespace made here: a veth pair to a second namespace and a
default route through it, as ``browser-share.md`` (the project's research
notes) measured. Nothing leaves the two namespaces. The calling thread
enters the namespace with setns(2), so every process it starts is inside;
it goes back on exit. Making a namespace needs root.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

CHROMIUM_BINARY = "/usr/lib/chromium/chromium"  # /usr/bin/chromium is a wrapper script
CLONE_NEWNET = 0x40000000
# Chromium hides host candidates behind mDNS names that nothing here resolves.
DISABLE_MDNS = "--disable-features=WebRtcHideLocalIpsWithMdns"


def missing(what: str, tools: tuple[str, ...] = ("ip", "Xvfb")) -> str:
    """Why ``what`` cannot run here (one sentence), or "" when it can."""
    if os.geteuid() != 0:
        return f"{what} makes a network namespace, which needs root"
    for tool in tools:
        if shutil.which(tool) is None:
            return f"{what} needs {tool} (scripts/setup.sh --test)"
    if not Path(CHROMIUM_BINARY).exists():
        return f"{what} needs {CHROMIUM_BINARY}"
    return ""


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, timeout=20, capture_output=True)


@contextlib.contextmanager
def network_namespace(prefix: str = "cdm-share") -> Iterator[None]:
    """Moves this thread into a fresh namespace with a veth pair to a second one, and back."""
    name, peer = f"{prefix}-{os.getpid()}", f"{prefix}-p-{os.getpid()}"
    libc = ctypes.CDLL(None, use_errno=True)
    _ip("netns", "add", name)
    _ip("netns", "add", peer)
    original = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        _ip("-n", name, "link", "set", "lo", "up")
        _ip("-n", name, "link", "add", "wv0", "type", "veth", "peer", "name", "wv1", "netns", peer)
        _ip("-n", name, "addr", "add", "10.77.0.1/24", "dev", "wv0")
        _ip("-n", name, "link", "set", "wv0", "up")
        _ip("-n", peer, "link", "set", "lo", "up")
        _ip("-n", peer, "addr", "add", "10.77.0.2/24", "dev", "wv1")
        _ip("-n", peer, "link", "set", "wv1", "up")
        # Chromium gathers host candidates only with a default route.
        _ip("-n", name, "route", "add", "default", "via", "10.77.0.2")
        target = os.open(f"/run/netns/{name}", os.O_RDONLY)
        try:
            if libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns into the new namespace")
        finally:
            os.close(target)
        try:
            yield
        finally:
            if libc.setns(original, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(original)
        subprocess.run(["ip", "netns", "del", name], timeout=20, check=False)
        subprocess.run(["ip", "netns", "del", peer], timeout=20, check=False)
