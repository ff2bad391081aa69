"""Getting the agent to managed devices: the file an admin downloads with a token
enrols a computer and runs its service; the Debian package enrols with the token
given at install time. Both use the single-file agent CI builds first
(`bash scripts/build-agent.sh`, in .ci/run); without it these tests are skipped."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from coupdemain.demo.xvfb import VirtualScreen
from coupdemain.protocol.agent_file import read_config
from tests.e2e.conftest import sign_in
from tests.support.server import ServerProcess, csrf_of, signed_in_client

ROOT = Path(__file__).resolve().parents[2]
BUILT = ROOT / "dist" / "coupdemain-help"
ONLINE = re.compile(r"^\s*Online\s*$")


@pytest.fixture
def built() -> Path:
    if not BUILT.is_file():
        pytest.skip("the single-file agent is not built: run bash scripts/build-agent.sh "
                    "(CI does, before the tests)")
    return BUILT


@pytest.fixture
def server(tmp_path: Path, built: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "server", extra_env={"COUPDEMAIN_AGENT_BINARY": str(built)})
    process.create_user("root", "Rose Admin", "Entraide Numérique", role="admin")
    process.start()
    yield process
    process.stop()


@pytest.fixture
def admin(browser: Browser, server: ServerProcess) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US",
                                  accept_downloads=True)
    page = context.new_page()
    sign_in(page, server, "root")
    yield page
    context.close()


def make_token(server: ServerProcess, **values: object) -> str:
    with signed_in_client(server, "root") as client:
        response = client.post("/api/devices/tokens", json=values,
                               headers={"X-CSRF-Token": csrf_of(client.get("/").text)})
        assert response.status_code == 200, response.text
        return str(response.json()["token"])


def devices(server: ServerProcess) -> list[dict[str, object]]:
    with signed_in_client(server, "root") as client:
        listed: list[dict[str, object]] = client.get("/api/devices").json()["devices"]
        return listed


def test_the_preconfigured_download_enrols_a_computer_and_runs_its_service(
    admin: Page, server: ServerProcess, screen: VirtualScreen, tmp_path: Path,
) -> None:
    admin.goto(server.url + "/devices")
    admin.click("#create-token")
    token = admin.locator("#new-token").inner_text().strip()
    assert admin.locator("#deploy-command").inner_text() == "sudo ./coupdemain-agent --yes"
    with admin.expect_download() as info:
        admin.click("#download-preconfigured")
    assert info.value.suggested_filename == "coupdemain-agent"
    program = tmp_path / "Downloads" / "coupdemain-agent"
    info.value.save_as(program)
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    carried = read_config(program)
    assert carried is not None and (carried.server, carried.enrolment_token) == (server.url, token)

    # The person (or a deployment job) runs it once, for a user service: --user, as this
    # test runs as root, whose default is a system service on this very machine.
    home = tmp_path / "home"
    env = {**os.environ, **screen.env(), "HOME": str(home),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local/share"),
           "LANG": "C.UTF-8"}
    env.pop("COUPDEMAIN_DEVICE_DIR", None)
    done = subprocess.run([str(program), "--yes", "--user"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        "Technicians of Entraide Numérique will be able to connect to this computer — they "
        "will ask you first; if nobody answers within 60 seconds, the answer is no.")
    copy = home / ".local/share/coupdemain/coupdemain-agent"
    assert f"The service runs the agent from {copy}." in done.stdout
    kept = read_config(copy)
    assert kept is not None and (kept.server, kept.enrolment_token) == (server.url, "")
    key = home / ".config/coupdemain/device/device.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    unit = (home / ".config/systemd/user/coupdemain-agent.service").read_text()
    [exec_start] = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
    command = shlex.split(exec_start.removeprefix("ExecStart="))
    assert command[:3] == [str(copy), "agent", "run"]
    [listed] = devices(server)
    assert listed["online"] is False

    # What the unit starts: the copy's service, which comes online in the console.
    service = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        admin.goto(server.url + "/devices")
        admin.locator("#devices tr[data-device-id] td.state", has_text=ONLINE).wait_for(
            timeout=60_000)
    finally:
        service.terminate()
        service.wait(20)


def build_package(tmp_path: Path) -> Path:
    package = tmp_path / "coupdemain-agent.deb"
    subprocess.run(["bash", str(ROOT / "scripts/build-deb.sh")], check=True, cwd=ROOT,
                   env={**os.environ, "AGENT": str(BUILT), "OUT": str(package)},
                   capture_output=True, timeout=300)
    return package


def unpacked(package: Path, root: Path) -> Path:
    """The package's files under ``root``, and its scripts under root/DEBIAN, as dpkg would."""
    subprocess.run(["dpkg-deb", "-x", str(package), str(root)], check=True)
    subprocess.run(["dpkg-deb", "-e", str(package), str(root / "DEBIAN")], check=True)
    return root / "DEBIAN" / "postinst"


def test_the_package_enrols_with_the_token_given_at_install_time(
    server: ServerProcess, tmp_path: Path,
) -> None:
    package = build_package(tmp_path)
    fields = subprocess.run(["dpkg-deb", "-f", str(package), "Package", "Architecture"],
                            capture_output=True, text=True, check=True).stdout
    assert fields == "Package: coupdemain-agent\nArchitecture: amd64\n"
    root = tmp_path / "root"
    postinst = unpacked(package, root)
    # The deployment tool wrote the token in /etc/default before installing.
    defaults = root / "etc/default/coupdemain-agent"
    defaults.parent.mkdir(parents=True)
    token = make_token(server, group="Kiosks", policy="no_prompt", uses=1)
    defaults.write_text(f"COUPDEMAIN_SERVER={server.url}\nCOUPDEMAIN_ENROLMENT_TOKEN={token}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COUPDEMAIN_")}
    done = subprocess.run([str(postinst), "configure"], env={**env, "DPKG_ROOT": str(root)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Technicians of Entraide Numérique will be able to connect" in done.stdout
    assert defaults.read_text() == f"COUPDEMAIN_SERVER={server.url}\n"  # the token forgotten
    unit = root / "etc/systemd/system/coupdemain-agent.service"
    assert ("ExecStart=/opt/coupdemain/coupdemain-agent agent run --config-dir "
            "/etc/coupdemain/device") in unit.read_text()
    if shutil.which("systemctl"):
        enabled = root / "etc/systemd/system/multi-user.target.wants/coupdemain-agent.service"
        assert enabled.is_symlink()
    [listed] = devices(server)
    assert listed["group"] == "Kiosks"

    # A used-up token fails the install with the server's sentence, and is forgotten too.
    again = tmp_path / "again"
    postinst = unpacked(package, again)
    done = subprocess.run([str(postinst), "configure"], capture_output=True, text=True,
                          env={**env, "DPKG_ROOT": str(again), "COUPDEMAIN_SERVER": server.url,
                               "COUPDEMAIN_ENROLMENT_TOKEN": token}, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "The server refused: This enrolment token has been used as many times as it allows. "
        "Ask your administrator for a new one.")
    assert not (again / "etc/coupdemain/device/device.json").exists()
