"""Managed devices, end to end: a real server, ``coupdemain agent enroll`` and the real
service (``coupdemain agent run``) on Xvfb, the console in Chromium."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page

from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e.conftest import sign_in
from tests.e2e.harness import Agent, canvas_pixel, close_to, wait_for, wait_for_status
from tests.support.cable import Cable
from tests.support.known import TEST_ORGANISATIONS, config_home
from tests.support.server import ServerProcess, csrf_of, signed_in_client

SQUARE = """
import tkinter as tk
root = tk.Tk()
root.overrideredirect(True)
root.geometry("240x240+300+200")
root.configure(background="#2e8b57")
root.mainloop()
"""
SQUARE_CENTRE = (420, 320)
SQUARE_RGB = (0x2E, 0x8B, 0x57)
ONLINE, OFFLINE = re.compile(r"^\s*Online\s*$"), re.compile(r"^\s*Offline\s*$")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server with technician alice and admin root of Entraide Numérique; one licence."""
    process = ServerProcess(tmp_path / "server", extra_env={"COUPDEMAIN_DEVICE_LICENCES": "1"})
    process.create_user("alice", "Alice Martin", "Entraide Numérique")
    process.create_user("root", "Rose Admin", "Entraide Numérique", role="admin")
    process.start()
    yield process
    process.stop()


def make_token(server: ServerProcess, **values: object) -> str:
    with signed_in_client(server, "root") as client:
        csrf = csrf_of(client.get("/").text)
        response = client.post("/api/devices/tokens", json=values,
                               headers={"X-CSRF-Token": csrf})
        assert response.status_code == 200, response.text
        return str(response.json()["token"])


def enroll(server: ServerProcess, token: str, folder: Path, *args: str,
           answer: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coupdemain", "agent", "enroll", "--server", server.url,
         "--token", token, "--config-dir", str(folder), *args],
        input=answer, capture_output=True, text=True, timeout=60)


@dataclass
class Service:
    """``coupdemain agent run`` on the virtual screen, as its unit runs it."""

    screen: VirtualScreen
    folder: Path
    trace_file: Path
    extra: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    runs: int = 0

    @property
    def log_file(self) -> Path:
        return self.trace_file.with_name(f"service-{self.runs}.log")

    def start(self) -> Service:
        self.runs += 1
        env = self.screen.env()
        env.update(COUPDEMAIN_UI_TRACE=str(self.trace_file), LANG="en_US.UTF-8",
                   XDG_CONFIG_HOME=str(config_home(self.folder.parent / "xdg",
                                                   *TEST_ORGANISATIONS)))
        env.pop("LC_ALL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coupdemain", "agent", "run", "--config-dir",
             str(self.folder), "--reconnect-max-seconds", "2", *self.extra],
            env=env, stdout=open(self.log_file, "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115
        return self

    def kill(self) -> None:
        """As a power cut or a crash would: no goodbye."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def exit_code(self, timeout: float = 30.0) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture
def services(screen: VirtualScreen, tmp_path: Path) -> Iterator[Callable[[Path], Service]]:
    started: list[Service] = []

    def make(folder: Path, *extra: str) -> Service:
        service = Service(screen, folder, tmp_path / f"device-trace-{len(started)}.json",
                          list(extra))
        started.append(service)
        return service

    yield make
    for service in started:
        service.stop()


@pytest.fixture
def admin_page(browser: Browser, server: ServerProcess) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    sign_in(page, server, "root")
    yield page
    context.close()


def device_state(page: Page, pattern: re.Pattern[str], timeout: float = 30.0) -> None:
    page.locator("#devices tr[data-device-id] td.state", has_text=pattern).wait_for(
        timeout=timeout * 1000)


def test_enrolment_says_what_it_means_and_refuses_used_expired_and_unlicensed_tokens(
    server: ServerProcess, tmp_path: Path,
) -> None:
    token = make_token(server, group="Office", policy="ask", prompt_seconds=45, uses=1)
    # In French, answering no: nothing is made.
    declined = enroll(server, token, tmp_path / "declined", "--lang", "fr", answer="n\n")
    assert declined.returncode == 1
    assert declined.stdout == (
        "Les techniciens de Entraide Numérique pourront se connecter à cet ordinateur — ils "
        "vous demanderont d'abord ; si personne ne répond dans les 45 secondes, c'est non.\n"
        "Inscrire cet ordinateur ? [o/N] Rien n'a été changé.\n")
    assert not (tmp_path / "declined" / "device.key").exists()

    done = enroll(server, token, tmp_path / "device", answer="y\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        "Technicians of Entraide Numérique will be able to connect to this computer — they "
        "will ask you first; if nobody answers within 45 seconds, the answer is no.")
    assert oct((tmp_path / "device" / "device.key").stat().st_mode & 0o777) == "0o600"

    used = enroll(server, token, tmp_path / "second", "--yes")
    assert (used.returncode, used.stderr) == (1, (
        "The server refused: This enrolment token has been used as many times as it allows. "
        "Ask your administrator for a new one.\n"))
    used = enroll(server, token, tmp_path / "second", "--yes", "--lang", "fr")
    assert (used.returncode, used.stderr) == (1, (
        "Le serveur a refusé : Ce jeton d'inscription a servi autant de fois qu'il le permet. "
        "Demandez-en un nouveau à votre administrateur.\n"))

    # One licence, and it is taken.
    unlicensed = enroll(server, make_token(server, group="Office"), tmp_path / "third", "--yes")
    assert (unlicensed.returncode, unlicensed.stderr) == (1, (
        "The server refused: All device licences of this server are in use (1 of 1). Revoke a "
        "device that is no longer managed, or raise --device-licences.\n"))
    unlicensed = enroll(server, make_token(server, group="Office"), tmp_path / "third", "--yes",
                        "--lang", "fr")
    assert unlicensed.stderr == (
        "Le serveur a refusé : Toutes les licences d'appareils de ce serveur sont utilisées "
        "(1 sur 1). Révoquez un appareil qui n'est plus géré, ou augmentez --device-licences.\n")

    expiring = make_token(server, group="Office", hours=0.0005)  # 1.8 seconds

    def expired() -> bool:
        answer = httpx.post(server.url + "/api/devices/enrolment/preview",
                            json={"token": expiring}, timeout=10)
        return answer.status_code == 403 and "expired" in answer.json()["error"]

    wait_for(expired, "the token to expire", timeout=20)
    late = enroll(server, expiring, tmp_path / "fourth", "--yes")
    assert (late.returncode, late.stderr) == (1, (
        "The server refused: This enrolment token has expired. "
        "Ask your administrator for a new one.\n"))


def test_a_device_stays_reachable_through_restarts_is_controlled_unattended_and_revoked(
    server: ServerProcess, admin_page: Page, services: Callable[..., Service],
    screen: VirtualScreen, run_window: Callable[..., None], tmp_path: Path,
) -> None:
    page = admin_page
    token = make_token(server, group="Kiosks", policy="no_prompt")
    assert enroll(server, token, tmp_path / "device", "--yes").returncode == 0
    page.goto(server.url + "/devices")
    assert page.locator("#licences").inner_text() == "Device licences: 1 / 1 in use"
    page.evaluate("window.notReloaded = true")
    service = services(tmp_path / "device").start()
    device_state(page, ONLINE)
    row = page.locator("#devices tr[data-device-id]")
    assert row.locator("td.group").inner_text() == "Kiosks"
    assert "CPUs" in row.locator("td.summary").inner_text()
    device_id = row.get_attribute("data-device-id")

    # The service dies, then starts again as at the next boot: online again by itself.
    service.kill()
    device_state(page, OFFLINE)
    service.start()
    device_state(page, ONLINE)
    assert page.evaluate("window.notReloaded") is True

    # The server restarts: the service and the page both come back by themselves.
    server.stop()
    server.start()

    def online_again() -> bool:
        with signed_in_client(server, "alice") as client:
            return bool(client.get("/api/devices").json()["devices"][0]["online"])

    wait_for(online_again, "the service to reconnect to the restarted server", timeout=60)
    device_state(page, ONLINE)
    assert page.evaluate("window.notReloaded") is True
    assert service.process is not None and service.process.poll() is None

    # Start remote control, unattended: no question, the picture, and the banner says why.
    run_window(SQUARE)
    page.click("#devices .start-control")
    page.wait_for_url(re.compile(r"/sessions/[0-9a-f]+$"))
    session_url = page.url
    wait_for_status(page, "View only", timeout=60)
    wait_for(lambda: close_to(canvas_pixel(page, *SQUARE_CENTRE), SQUARE_RGB),
             "the canvas to show the person's screen", timeout=30)
    person = Agent(screen, server.url, service.trace_file)
    person.window_saying("banner", "Unattended access: Entraide Numérique set this computer to "
                         "be reached without asking. Everything is recorded.")

    # The device page's Run diagnostics: a session of its own, and the viewer asks at once;
    # the unattended policy answers for the absent person, as for viewing.
    page.click("#end-session")
    page.goto(f"{server.url}/devices/{device_id}")
    page.click("#run-diagnostics")
    page.wait_for_url(re.compile(r"/sessions/[0-9a-f]+\?then=diagnostics$"))
    page.locator("#diagnostics-status", has_text="What stands out").wait_for(timeout=60_000)
    page.click("#end-session")

    # Revoked: the connection is cut at once, the session ends, the key opens nothing after.
    page.goto(f"{server.url}/devices/{device_id}")
    page.click("#revoke")
    assert page.locator("#device-state").inner_text() == "Revoked"
    assert service.exit_code() == 3
    assert "The server refused: This device was revoked. Enrol it again to reach it." in (
        service.log())
    page.goto(session_url + "/history")
    actions = page.locator("#events tr[data-action]").evaluate_all(
        "rows => rows.map(r => r.dataset.action)")
    assert actions[0] == "code_issued" and actions[-1] == "session_ended", actions
    service.start()
    assert service.exit_code() == 3
    assert "The server refused: This device was revoked. Enrol it again to reach it." in (
        service.log())
    page.goto(f"{server.url}/devices/{device_id}")
    events = page.locator("#device-events tr[data-action]").evaluate_all(
        "rows => rows.map(r => r.dataset.action)")
    assert events == ["device_enrolled", "device_control_started", "device_control_started",
                      "device_revoked"]


def test_attended_nobody_answers_so_it_is_no_and_an_agent_too_new_is_told(
    server: ServerProcess, admin_page: Page, services: Callable[..., Service],
    screen: VirtualScreen, tmp_path: Path,
) -> None:
    page = admin_page
    token = make_token(server, group="Office", policy="ask", prompt_seconds=3)
    assert enroll(server, token, tmp_path / "device", "--yes").returncode == 0

    too_new = services(tmp_path / "device", "--protocol-version", "2").start()
    sentence = ("This agent speaks device protocol 2, newer than this server's (1 to 1). "
                "Update the server, or install the agent of the server's version.")
    assert too_new.exit_code() == 4
    assert f"The server refused: {sentence}" in too_new.log()
    assert sentence in server.log()

    # The console shows it on the device's row too, until a service it speaks connects.
    page.goto(server.url + "/devices")
    problem = page.locator("#devices tr[data-device-id] .problem")
    assert problem.inner_text() == sentence
    service = services(tmp_path / "device").start()
    device_state(page, ONLINE)
    assert problem.count() == 0
    page.click("#devices .start-control")
    page.wait_for_url(re.compile(r"/sessions/[0-9a-f]+$"))
    person = Agent(screen, server.url, service.trace_file)
    person.window_saying("consent", "Rose Admin")
    # Nobody is at the screen: after 3 seconds, the answer is no.
    page.locator("#ended-message", has_text="The person declined.").wait_for(timeout=30_000)
    assert service.process is not None and service.process.poll() is None


def test_the_network_is_cut_and_mended_and_the_device_comes_back_by_itself(
    server: ServerProcess, admin_page: Page, services: Callable[..., Service],
    tmp_path: Path,
) -> None:
    page = admin_page
    cable = Cable(server.port)
    try:
        token = make_token(server, group="Office")
        # The device reaches the server through the cable only.
        done = subprocess.run(
            [sys.executable, "-m", "coupdemain", "agent", "enroll", "--server", cable.url,
             "--token", token, "--config-dir", str(tmp_path / "device"), "--yes"],
            capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        service = services(tmp_path / "device").start()
        page.goto(server.url + "/devices")
        device_state(page, ONLINE)
        page.evaluate("window.notReloaded = true")

        cable.cut()  # no goodbye: each side learns of it from its pings
        device_state(page, OFFLINE)
        cable.mend()
        device_state(page, ONLINE, timeout=60)
        assert page.evaluate("window.notReloaded") is True
        assert service.process is not None and service.process.poll() is None
        assert "connecting again in" in service.log()
    finally:
        cable.close()
