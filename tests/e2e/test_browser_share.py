"""The join page's browser share, end to end: a person's Chromium shares its X screen
with getDisplayMedia, the technician's Chromium shows it in a <video> over WebRTC.

The person's browser runs headful on Xvfb and picks the whole screen by
itself (``--auto-select-desktop-capture-source``); the technician's runs
headless. Chromium offers no host candidate on loopback, so everything —
the server, coturn, Xvfb, the application and both browsers — runs in a
network namespace this test makes, with a veth pair to a second namespace
and a default route, as ``browser-share.md`` (the project's research notes)
measured; nothing leaves the two namespaces. The test thread enters the
namespace with setns(2), so that every process it starts is inside.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e.conftest import sign_in
from tests.e2e.harness import CHROMIUM_ARGS, wait_for, wait_for_status
from tests.support.netns import CHROMIUM_BINARY, DISABLE_MDNS, missing, network_namespace
from tests.support.server import ServerProcess, free_port

TURN_SECRET = "test-secret-not-for-production"
MAGENTA, CYAN = "#ff00ff", "#00ffff"

# The coloured window the person shares: right half of the 1280x800 screen,
# clear of the person's browser window at the top left.
APP = """
import sys, tkinter as tk
root = tk.Tk()
root.overrideredirect(True)
root.geometry("560x600+680+100")
root.configure(bg=sys.argv[1])
path = sys.argv[2]
def poll():
    try:
        colour = open(path).read().strip()
    except OSError:
        colour = ""
    if colour and colour != root.cget("bg"):
        root.configure(bg=colour)
    root.after(50, poll)
poll()
root.mainloop()
"""


def _missing() -> str:
    return missing("the browser-share tests", ("ip", "turnserver", "Xvfb"))


pytestmark = [pytest.mark.e2e, pytest.mark.skipif(bool(_missing()), reason=_missing() or "-")]


class Coturn:
    """coturn on 127.0.0.1 inside the namespace, with the TURN REST scheme's shared secret."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.log = folder / "turnserver.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Coturn:
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "turnserver.conf"
        config.write_text("\n".join([
            "listening-ip=127.0.0.1", f"listening-port={self.port}", "relay-ip=127.0.0.1",
            "min-port=49160", "max-port=49200", "realm=coupdemain-test", "use-auth-secret",
            f"static-auth-secret={TURN_SECRET}", "fingerprint", "no-tls", "no-dtls", "no-cli",
            "no-multicast-peers",
            # Both relay addresses are 127.0.0.1: without this coturn refuses the permission.
            "allow-loopback-peers",
            f"userdb={self.folder / 'turndb'}", f"pidfile={self.folder / 'turnserver.pid'}",
            "log-file=stdout", "simple-log", "verbose", ""]))
        self.process = subprocess.Popen(["turnserver", "-c", str(config)],
                                        stdout=open(self.log, "wb"),  # noqa: SIM115
                                        stderr=subprocess.STDOUT)
        wait_for(lambda: "listener opened on" in self.text() or None, "coturn to listen", 20)
        return self

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


class Scene:
    """Everything of one test, inside the namespace."""

    def __init__(self, tmp_path: Path, *, relay: bool) -> None:
        self.tmp_path = tmp_path
        self.relay = relay
        self.stack = contextlib.ExitStack()

    def __enter__(self) -> Scene:
        stack = self.stack
        stack.enter_context(network_namespace())
        env: dict[str, str] = {}
        if self.relay:
            self.coturn = Coturn(self.tmp_path / "coturn").start()
            stack.callback(self.coturn.stop)
            env = {"COUPDEMAIN_TURN_URL": f"turn:127.0.0.1:{self.coturn.port}?transport=udp",
                   "COUPDEMAIN_TURN_SECRET": TURN_SECRET,
                   "COUPDEMAIN_ICE_TRANSPORT_POLICY": "relay"}
        self.server = ServerProcess(self.tmp_path / "server", extra_env=env)
        self.server.create_user("alice", "Alice Martin", "Entraide Numérique")
        self.server.start()
        stack.callback(self.server.stop)
        self.screen = stack.enter_context(VirtualScreen(1280, 800))
        self.colour_file = self.tmp_path / "colour"
        self.colour_file.write_text(MAGENTA)
        script = self.tmp_path / "app.py"
        script.write_text(APP)
        app = subprocess.Popen([sys.executable, str(script), MAGENTA, str(self.colour_file)],
                               env=self.screen.env())
        stack.callback(lambda: (app.kill(), app.wait(10)))
        playwright = stack.enter_context(sync_playwright())
        # Playwright's own --disable-features list would be dropped by a second
        # one: the two are merged into one switch (browser-share.md, pitfalls).
        features = DISABLE_MDNS
        person_args = [*CHROMIUM_ARGS, "--window-position=0,0", "--window-size=640,560",
                       "--auto-select-desktop-capture-source=Entire screen", features,
                       *(["--allow-loopback-in-peer-connection"] if self.relay else [])]
        self.person_browser: Browser = playwright.chromium.launch(
            executable_path=CHROMIUM_BINARY, headless=False, args=person_args,
            env={**os.environ, **self.screen.env()})
        stack.callback(self.person_browser.close)
        tech_env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
        self.tech_browser: Browser = playwright.chromium.launch(
            executable_path=CHROMIUM_BINARY, args=[*CHROMIUM_ARGS, features,
            *(["--allow-loopback-in-peer-connection"] if self.relay else [])], env=tech_env)
        stack.callback(self.tech_browser.close)
        self.technician = self.tech_browser.new_context(
            viewport={"width": 1400, "height": 1000}, locale="en-US").new_page()
        sign_in(self.technician, self.server)
        person_context = self.person_browser.new_context(
            viewport={"width": 620, "height": 460}, locale="en-US")
        self.person = person_context.new_page()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    def set_colour(self, colour: str) -> None:
        self.colour_file.write_text(colour)

    def help_someone(self) -> str:
        self.technician.goto(self.server.url + "/")
        self.technician.click("#help-someone")
        code = self.technician.locator("#support-code")
        code.wait_for()
        return code.inner_text().strip()

    def person_types(self, code: str) -> None:
        """The person opens the join page and types a code."""
        self.person.goto(self.server.url + "/join")
        self.person.fill("#share-code", code)
        self.person.click("#share-continue")

    def person_joins(self, code: str) -> None:
        self.person_types(code)
        self.person.locator("#share-asker", has_text="Alice Martin").wait_for(timeout=20_000)

    def panel(self) -> Page:
        """Where the person's panel is: its Document Picture-in-Picture window, else the tab."""
        def probe() -> Page | None:
            for page in self.person.context.pages:
                if page.locator("#share-panel:visible").count() == 1:
                    return page
            return None

        return wait_for(probe, "the person's panel", 20)

    def share(self) -> None:
        self.person.click("#share-start")
        self.person.locator("#browser-share[data-step=sharing]").wait_for(timeout=20_000)
        wait_for_status(self.technician, "View only: the person shares their screen")

    def seen(self) -> tuple[int, int, int] | None:
        """The colour the technician's <video> shows inside the app, or None before a picture."""
        rgb = self.technician.evaluate("""() => {
            const v = document.querySelector('#screen-video');
            if (!v || v.videoWidth === 0) return null;
            const c = document.createElement('canvas');
            c.width = v.videoWidth; c.height = v.videoHeight;
            const g = c.getContext('2d', {willReadFrequently: true});
            g.drawImage(v, 0, 0);
            const x = Math.floor(v.videoWidth * 0.6), y = Math.floor(v.videoHeight * 0.2);
            const d = g.getImageData(x, y, 1, 1).data;
            return [d[0], d[1], d[2]];
        }""")
        return None if rgb is None else (int(rgb[0]), int(rgb[1]), int(rgb[2]))

    def wait_to_see(self, colour: str, timeout: float = 30.0) -> None:
        want = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))

        def probe() -> bool | None:
            got = self.seen()
            # VP8 keeps a flat colour within a few levels per channel.
            near = got is not None and all(abs(a - b) <= 40 for a, b in zip(got, want, strict=True))
            return True if near else None

        wait_for(probe, f"the technician's video to show {colour}", timeout)

    def paths(self) -> tuple[dict[str, str], dict[str, str]]:
        """The selected candidate pair's types, on the person's side and the technician's."""
        query = "() => window.coupdemainRtc.selectedPath()"
        person = wait_for(lambda: self.person.evaluate(query), "the person's selected pair", 20)
        technician = wait_for(lambda: self.technician.evaluate(query),
                              "the viewer's selected pair", 20)
        return person, technician


def test_the_technician_sees_the_persons_screen_peer_to_peer_and_follows_a_change(
    tmp_path: Path,
) -> None:
    with Scene(tmp_path, relay=False) as scene:
        code = scene.help_someone()
        scene.person_joins(code)
        # Who asks, what they may do, and that it is view only.
        assert scene.person.locator("#share-asker").inner_text() == (
            "Alice Martin, of Entraide Numérique, asks to see your screen.")
        assert "View only: they will see your screen, but they cannot use your mouse or keyboard." \
            in scene.person.locator("#share-ask").inner_text()
        scene.share()
        scene.wait_to_see(MAGENTA)
        scene.set_colour(CYAN)
        scene.wait_to_see(CYAN)
        person, technician = scene.paths()
        assert person == {"local": "host", "remote": "host"}
        assert technician == {"local": "host", "remote": "host"}
        # View only: the console offers no control.
        assert scene.technician.locator("#request-control").is_hidden()
        # The panel is in its own always-on-top window (Document Picture-in-Picture).
        panel = scene.panel()
        assert panel is not scene.person
        assert scene.person.locator("#share-pip-note").inner_text() == (
            "This panel is in its own small window, on top of the others.")
        panel.locator("#share-watching", has_text=(
            "Alice Martin (Entraide Numérique) sees your screen.")).wait_for()
        # The chat, both ways.
        panel.fill("#share-chat-input", "Bonjour, je vois un écran bleu.")
        panel.press("#share-chat-input", "Enter")
        scene.technician.locator("#chat-log", has_text="Bonjour, je vois un écran bleu.").wait_for()
        scene.technician.fill("#chat-input", "I see it too.")
        scene.technician.press("#chat-input", "Enter")
        panel.locator("#share-chat-log", has_text="I see it too.").wait_for()
        # A step and an announcement show on the panel; the page is asked nothing.
        scene.technician.fill("#step-text", "I am looking at your settings")
        scene.technician.press("#step-text", "Enter")
        scene.technician.select_option("#announce-kind", "restart")
        scene.technician.fill("#announce-text", "Please restart when you can")
        scene.technician.press("#announce-text", "Enter")
        shown = panel.locator("#share-chat-log li.share-timeline")
        shown.nth(1).wait_for()
        assert shown.all_inner_texts()[0].endswith(
            "Alice Martin is doing this\nI am looking at your settings")
        assert shown.all_inner_texts()[1].endswith(
            "Alice Martin will do this\nPlease restart when you can")
        scene.technician.locator("#timeline-log li[data-id='2'] .timeline-answer",
                                 has_text="Shown on the person's sharing page").wait_for()
        # The technician ends it: both sides read it.
        scene.technician.click("#end-session")
        scene.person.locator("#share-ended-sentence",
                             has_text="Alice Martin ended the session.").wait_for()
        assert scene.person.locator("#share-ended").inner_text().endswith(
            "Nothing is shared any more. You can close this page.")
        assert scene.technician.locator("#ended-sentence").inner_text() == "You ended the session."


def test_through_coturn_only_with_credentials_the_server_minted(tmp_path: Path) -> None:
    with Scene(tmp_path, relay=True) as scene:
        code = scene.help_someone()
        scene.person_joins(code)
        scene.share()
        scene.wait_to_see(MAGENTA)
        scene.set_colour(CYAN)
        scene.wait_to_see(CYAN)
        person, technician = scene.paths()
        assert person == {"local": "relay", "remote": "relay"}
        assert technician == {"local": "relay", "remote": "relay"}
        log = scene.coturn.text()
        assert log.count("ALLOCATE processed, success") >= 2
        assert "CREATE_PERMISSION processed, success" in log
        # The usernames are the server's: "<expiry>:<session>-<side>".
        assert "-agent>" in log and "-viewer>" in log
        # The page holds no static password: only what the server sent it.
        assert TURN_SECRET not in scene.person.content()


def test_stopping_from_the_browsers_own_bar_and_sharing_again_then_the_person_ends(
    tmp_path: Path,
) -> None:
    with Scene(tmp_path, relay=False) as scene:
        scene.person_joins(scene.help_someone())
        scene.share()
        scene.wait_to_see(MAGENTA)
        # As the browser's "Stop sharing" bar does: the track ends.
        scene.person.evaluate("""() => window.coupdemainRtc.pc.getSenders()[0].track
            .dispatchEvent(new Event('ended'))""")
        panel = scene.panel()
        panel.locator("#share-watching", has_text=(
            "You stopped sharing your screen. Alice Martin no longer sees it.")).wait_for()
        wait_for_status(scene.technician, "The person stopped sharing their screen.")
        panel.click("#share-again")
        wait_for_status(scene.technician, "View only: the person shares their screen")
        scene.set_colour(CYAN)
        scene.wait_to_see(CYAN)
        panel.click("#share-end")
        scene.person.locator("#share-ended-sentence",
                             has_text="You ended the session.").wait_for()
        scene.technician.locator("#ended-sentence",
                                 has_text="The person ended the session.").wait_for()


def test_the_persons_tab_closed_ends_the_session_and_the_technician_reads_it(
    tmp_path: Path,
) -> None:
    with Scene(tmp_path, relay=False) as scene:
        scene.person_joins(scene.help_someone())
        scene.share()
        scene.wait_to_see(MAGENTA)
        scene.person.close()
        scene.technician.locator("#ended-sentence", has_text=(
            "The person's computer disconnected. The session has ended.")).wait_for(timeout=20_000)


def test_wrong_and_expired_codes_are_told_in_words(tmp_path: Path) -> None:
    with Scene(tmp_path, relay=False) as scene:
        scene.person.goto(scene.server.url + "/join")
        scene.person.fill("#share-code", "12345")
        scene.person.click("#share-continue")
        assert scene.person.locator("#share-error").inner_text() == (
            "A code has 9 digits, like 482 913 705. Check it and try again.")
        scene.person.fill("#share-code", "000 000 000")
        scene.person.click("#share-continue")
        scene.person.locator("#share-error", has_text=(
            "This code is not valid. Check the 9 digits and try again.")).wait_for()
        code = scene.help_someone()
        scene.person_joins(code)
        scene.person.click("#share-cancel")
        scene.person.locator("#share-ended-sentence", has_text=(
            "You cancelled. Nobody saw your screen.")).wait_for()
        # The same code again: used, and so refused.
        scene.person_types(code)
        scene.person.locator("#share-error", has_text=(
            "This code was already used. Ask your technician for a new one.")).wait_for()


def test_an_expired_code(tmp_path: Path) -> None:
    with Scene(tmp_path, relay=False) as scene:
        scene.server.stop()
        scene.server.extra_env["COUPDEMAIN_CODE_TTL_SECONDS"] = "1"
        scene.server.start()
        sign_in(scene.technician, scene.server)
        code = scene.help_someone()
        # The code's one second is over when the technician reads that it expired.
        scene.technician.locator("#ended-sentence", has_text=(
            "The code expired before the person used it.")).wait_for(timeout=10_000)
        scene.person_types(code)
        scene.person.locator("#share-error", has_text=(
            "This code has expired. Ask your technician for a new one.")).wait_for()


def test_files_go_both_ways_through_the_page(tmp_path: Path) -> None:
    with Scene(tmp_path, relay=False) as scene:
        scene.person_joins(scene.help_someone())
        scene.share()
        scene.wait_to_see(MAGENTA)
        panel = scene.panel()
        # The technician sends a file: the person sees its name and size, and accepts.
        sent = tmp_path / "sent" / "mode d'emploi.pdf"
        sent.parent.mkdir()
        content = os.urandom(300_123)
        sent.write_bytes(content)
        scene.technician.set_input_files("#files-input", str(sent))
        offer = panel.locator("#share-files li[data-state=offered]")
        offer.wait_for(timeout=20_000)
        lines = [line for line in offer.inner_text().splitlines() if line.strip()]
        assert lines == [
            "Alice Martin wants to send you a file:", "mode d'emploi.pdf (300 kB)",
            "Accept only a file you expect. Your browser will save it in your downloads.",
            "Accept", "Decline"]
        with scene.person.expect_download(timeout=30_000) as downloading:
            offer.locator(".file-accept").click()
        download = downloading.value
        assert download.suggested_filename == "mode d'emploi.pdf"
        assert Path(download.path()).read_bytes() == content
        panel.locator("#share-files li[data-state=delivered]", has_text=(
            "Received. Your browser saved it in your downloads.")).wait_for()
        scene.technician.locator("#files-list li[data-state=delivered]").wait_for()
        # The person sends one: the technician downloads the same bytes.
        photo = tmp_path / "photo de vacances.jpg"
        picture = os.urandom(9 * 1024 * 1024 + 5)  # two pieces of upload
        photo.write_bytes(picture)
        panel.set_input_files("#share-file-input", str(photo))
        panel.locator("#share-files li[data-state=ready]", has_text=(
            "Sent. Your technician can download it now.")).wait_for(timeout=30_000)
        item = scene.technician.locator("#files-list li[data-state=ready]")
        item.wait_for(timeout=20_000)
        assert "photo de vacances.jpg" in item.inner_text()
        with scene.technician.expect_download() as downloading:
            item.locator("a.files-download").click()
        received = Path(downloading.value.path()).read_bytes()
        assert hashlib.sha256(received).hexdigest() == hashlib.sha256(picture).hexdigest()
        # Both in the session's history, as for the agent.
        scene.technician.click("#end-session")
        scene.technician.locator("#ended-sentence").wait_for()
        history = scene.technician.url.split("?")[0].rstrip("/") + "/history"
        scene.technician.goto(history)
        actions = scene.technician.locator("#events tr").evaluate_all(
            "rows => rows.map(r => r.dataset.action).filter(a => a && a.startsWith('file_'))")
        assert actions.count("file_offered") == 2
        assert "file_delivered" in actions and "file_sent" in actions
        assert "file_downloaded" in actions
