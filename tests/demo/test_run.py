"""``coupdemain demo``: its own data, a quiet screen, and nothing left behind when it stops."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from coupdemain import cli
from tests.support.server import free_port

pytestmark = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb")


def wait_for_line(log: Path, text: str, process: subprocess.Popen[bytes], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = log.read_text(errors="replace")
        if text in output:
            return output
        assert process.poll() is None, f"the demo stopped:\n{output}"
        time.sleep(0.2)
    raise AssertionError(f"no {text!r} within {timeout} s:\n{log.read_text(errors='replace')}")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_demo_stops_every_child_and_leaves_nothing(tmp_path: Path, stop: signal.Signals) -> None:
    port = free_port()
    temp = tmp_path / "tmp"
    temp.mkdir()
    real = tmp_path / "real-server-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("COUPDEMAIN_")}
    # A real server's folder in the environment must not receive the demo's account.
    env.update(TMPDIR=str(temp), COUPDEMAIN_DATA_DIR=str(real), LANG="fr_FR.UTF-8",
               XDG_DATA_HOME=str(tmp_path / "xdg"))
    log = tmp_path / "demo.log"
    with open(log, "wb") as out:
        demo = subprocess.Popen(
            [sys.executable, "-m", "coupdemain", "demo", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        output = wait_for_line(log, "consent_given by person", demo, timeout=90)
        children = psutil.Process(demo.pid).children(recursive=True)
        commands = [" ".join(child.cmdline()) for child in children]
        for started in ("coupdemain serve", "Xvfb", "coupdemain.demo.desktop_app",
                        "coupdemain get-help"):
            assert any(started in command for command in commands), commands
        agent = next(c for c in commands if "get-help" in c)
        assert "--lang fr" in agent
        [folder] = list(temp.glob("coupdemain-demo-*"))
        assert (folder / "data" / "coupdemain.sqlite3").exists()

        demo.send_signal(stop)
        assert demo.wait(60) == 0
        _gone, alive = psutil.wait_procs(children, timeout=20)
        assert alive == []
        assert not folder.exists()
        assert not real.exists() and not (tmp_path / "xdg").exists()
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(10)

    lines = output.splitlines()
    assert f"    1. Open http://localhost:{port}/lang/fr in your browser." in lines
    assert any(line.startswith("    2. Sign in as: demo   password: ") for line in lines)
    # Nothing contradicts the demo's sign-in, and no request pushes it off the screen.
    assert "with your account" not in output
    assert not [line for line in lines if "HTTP/1.1" in line or '"GET ' in line
                or "WebSocket" in line or "connection open" in line]
    assert sum("INFO coupdemain.rendezvous: session " in line for line in lines) >= 3


def test_demo_uses_a_folder_given_on_its_command_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[str, str, bool]] = []

    def run_demo(settings: object, open_session_count: int = 0, *, language: str,
                 temporary_data: bool) -> int:
        calls.append((settings.data_dir, language, temporary_data))  # type: ignore[attr-defined]
        return 0

    monkeypatch.setattr("coupdemain.demo.run.run_demo", run_demo)
    monkeypatch.setenv("COUPDEMAIN_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    for variable in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    assert cli.main(["demo"]) == 0
    assert cli.main(["demo", "--data-dir", str(tmp_path / "mine"), "--language", "en"]) == 0
    assert calls == [("", "fr", True), (str(tmp_path / "mine"), "en", False)]
