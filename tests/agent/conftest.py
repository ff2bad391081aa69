"""Shared fixtures of the agent tests: a virtual X screen and the notes application on it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from coupdemain.demo.xvfb import VirtualScreen
from tests.server.test_tls import self_signed
from tests.support.desktop import NotesApp, read_json, wait_for
from tests.support.server import ServerProcess

__all__ = ["NotesApp", "needs_xvfb", "read_json", "wait_for"]

needs_xvfb = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb")


@pytest.fixture(scope="session")
def xvfb() -> Iterator[VirtualScreen]:
    """``Xvfb :N -screen 0 1280x800x24 -nolisten tcp`` on a free display number."""
    if shutil.which("Xvfb") is None:
        pytest.skip("needs Xvfb")
    with VirtualScreen(1280, 800) as screen:
        yield screen


@pytest.fixture
def notes(xvfb: VirtualScreen, tmp_path: Path) -> Iterator[NotesApp]:
    app = NotesApp(xvfb, tmp_path / "notes.json")
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture
def x_display(xvfb: VirtualScreen, monkeypatch: pytest.MonkeyPatch) -> str:
    """Points DISPLAY at the virtual screen for code running in this process."""
    monkeypatch.setenv("DISPLAY", xvfb.display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert os.environ["DISPLAY"] == xvfb.display
    return xvfb.display


@pytest.fixture(scope="session")
def untrusted_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerProcess, Path]]:
    """The real server on https with a self-signed certificate, and that certificate."""
    directory = tmp_path_factory.mktemp("untrusted")
    cert, key = self_signed(directory)
    server = ServerProcess(
        directory / "server", scheme="https",
        extra_env={"COUPDEMAIN_TLS_CERT": str(cert), "COUPDEMAIN_TLS_KEY": str(key)},
    )
    server.start()
    try:
        yield server, cert
    finally:
        server.stop()
