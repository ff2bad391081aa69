"""A session recorded and played back: the person chooses, the console plays what the viewer saw.

The organisation's admin sets the policy to *ask*; the person ticks *Yes,
record this session*; a window on their screen shows red, green, then
blue while the technician watches. The history page's player, sought to
the instants the viewer showed each colour, shows the same pixels; it
plays at ×2 to the end; the MP4 export decodes with PyAV to the same
colours. The file on disk holds none of the frames' bytes in the clear and
opens with the server's key. Another technician gets 404. With the box
left unticked, nothing is recorded.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

import av
from playwright.sync_api import Browser, Page

from coupdemain.demo.xvfb import VirtualScreen
from coupdemain.protocol.frames import binary_kind, parse_frame
from coupdemain.server.recording.sealed import derive_key, open_sealed, records
from tests.e2e.conftest import Technician, start_agent
from tests.e2e.harness import Agent, canvas_pixel, close_to, wait_for, wait_for_status
from tests.support.server import ServerProcess, csrf_of, issue_code, signed_in_client

# A plain window whose colour the test sets through a file.
COLOUR_WINDOW = r"""
import sys, tkinter as tk
colour_file = sys.argv[1]
root = tk.Tk()
root.overrideredirect(True)
root.geometry("400x300+440+360")
frame = tk.Frame(root, bg="#808080")
frame.pack(fill="both", expand=True)

def follow():
    try:
        colour = open(colour_file).read().strip()
    except OSError:
        colour = ""
    if colour:
        frame.configure(bg=colour)
    root.after(50, follow)

follow()
root.mainloop()
"""
SPOT = (640, 510)  # the middle of the window, on the person's screen
SHOTS = os.environ.get("COUPDEMAIN_SHOTS", "")  # where to save the console's pictures, if set
COLOURS = {"red": (220, 30, 30), "green": (30, 200, 60), "blue": (40, 60, 230)}


def set_policy(server: ServerProcess, policy: str) -> None:
    server.create_user("root", "Rose Admin", "Entraide Numérique", role="admin")
    with signed_in_client(server, "root") as admin:
        page = admin.get("/organisation/recording").text
        response = admin.post("/organisation/recording", data={
            "policy": policy, "retention_days": "30", "csrf_token": csrf_of(page)})
        assert response.status_code == 303, response.text
        assert "Saved. New sessions follow this policy." in admin.get(
            response.headers["location"]).text


def player_pixel(page: Page, x: int, y: int) -> tuple[int, int, int]:
    rgb = page.evaluate(
        """([x, y]) => Array.from(document.querySelector('#player-canvas').getContext('2d')
               .getImageData(x, y, 1, 1).data.slice(0, 3))""", [x, y])
    return int(rgb[0]), int(rgb[1]), int(rgb[2])


def hex_of(rgb: tuple[int, int, int]) -> str:
    r, g, b = rgb
    return f"#{r:02x}{g:02x}{b:02x}"


def test_a_recorded_session_plays_back_as_the_viewer_saw_it_and_exports_to_mp4(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path, run_window: Callable[..., None],
) -> None:
    set_policy(server, "ask")
    page = technician.page
    colour_file = tmp_path / "colour.txt"
    colour_file.write_text(hex_of(COLOURS["red"]))
    run_window(COLOUR_WINDOW, str(colour_file))
    code = technician.help_someone()
    agent = start_agent(agents, screen, server, tmp_path, code=code.replace(" ", ""))
    consent = agent.window_saying("consent", "asks to record this session")
    assert ("Entraide Numérique asks to record this session. The recording is kept for 30 days, "
            "then deleted. You still get help if you say no.") in consent["texts"]
    agent.click("consent", "record")
    agent.click("consent", "allow_view")
    wait_for_status(page, "View only")
    banner = agent.window_saying("banner", "● Recording")
    assert banner["texts"][0] == "● Recording"
    page.locator("#recording-mark", has_text="● Recording").wait_for()

    # Each colour as the viewer showed it, and when (the browser's clock, Unix ms).
    seen: dict[str, float] = {}
    for name, rgb in COLOURS.items():
        colour_file.write_text(hex_of(rgb))
        wait_for(lambda rgb=rgb: close_to(canvas_pixel(page, *SPOT), rgb),  # type: ignore[misc]
                 f"the viewer to show {name}")
        time.sleep(1.0)  # the colour stays on screen a while: an instant inside it is sought
        seen[name] = float(page.evaluate("Date.now()"))
        time.sleep(1.0)
    page.fill("#step-text", "I am checking your colours")
    page.press("#step-text", "Enter")
    agent.window_saying("banner", "I am checking your colours")
    page.click("#end-session")
    agent.window_saying("ended", "Control is off")

    session_id = technician.session_url.rstrip("/").rsplit("/", 1)[-1]
    page.goto(technician.session_url + "/history")
    assert "The person accepted the recording" in page.locator(
        "#events tr[data-action=recording_accepted]").inner_text()
    page.locator("#player[data-ready=true]").wait_for(timeout=30_000)
    info = page.evaluate(f"fetch('/sessions/{session_id}/recording/info').then(r => r.json())")
    assert info["complete"] is True
    marks = page.locator("#player-marks .player-mark")
    actions = [marks.nth(i).get_attribute("data-action") for i in range(marks.count())]
    assert "step_written" in actions and "session_ended" in actions

    # Sought to each instant, the player shows what the viewer showed then.
    started_ms = info["started_at"] * 1000
    for name in ("blue", "red", "green"):
        page.evaluate("ms => window.cdmPlayer.seek(ms)", seen[name] - started_ms)
        assert close_to(player_pixel(page, *SPOT), COLOURS[name]), (
            f"sought to {name}: {player_pixel(page, *SPOT)}")

    # At ×2 from the start, it plays to the end: the last colour.
    page.select_option("#player-speed", "2")
    page.evaluate("window.cdmPlayer.seek(0)")
    page.click("#player-play")
    assert page.evaluate("window.cdmPlayer.speed") == 2
    wait_for(lambda: page.evaluate("!window.cdmPlayer.playing")
             and page.evaluate("window.cdmPlayer.position") >= page.evaluate(
                 "window.cdmPlayer.duration"), "the player to reach the end", timeout=60)
    assert close_to(player_pixel(page, *SPOT), COLOURS["blue"])
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "console-history-player.png"), full_page=True)

    # The MP4 export decodes to the same picture.
    mp4 = page.request.get(f"{server.url}/sessions/{session_id}/recording.mp4")
    assert mp4.status == 200 and mp4.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(mp4.body())) as container:
        pictures = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(pictures) > 0
    x, y = SPOT
    last = tuple(int(v) for v in pictures[-1][y - 5:y + 5, x - 5:x + 5].mean(axis=(0, 1)))
    assert close_to(last, COLOURS["blue"], tolerance=20), last  # type: ignore[arg-type]
    assert any(close_to(tuple(int(v) for v in p[y, x]), COLOURS["red"], tolerance=20)  # type: ignore[arg-type]
               for p in pictures)

    # On disk: private, sealed, and it opens with the server's key.
    path = server.data_dir / "recordings" / f"{session_id}.rec"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    sealed = path.read_bytes()
    opened = open_sealed(path, derive_key((server.data_dir / "secret.key").read_bytes()))
    frames = [parse_frame(m) for _, m in records(opened.plaintext) if binary_kind(m) == 1]
    payloads = [r.payload for f in frames for r in f.rects if len(r.payload) >= 64]
    assert payloads and not any(p[:64] in sealed for p in payloads)
    # Its SHA-256 is in the audit log, as the history shows it.
    closed = page.locator("#events tr[data-action=recording_closed] code.sha256")
    assert closed.get_attribute("data-sha256") == hashlib.sha256(sealed).hexdigest()

    # A technician who may not see the session gets 404, as for the session itself.
    server.create_user("bob", "Bob Durand", "Entraide Numérique")
    with signed_in_client(server, "bob") as bob:
        for url in ("/recording", "/recording/info", "/recording.mp4"):
            assert bob.get(f"/sessions/{session_id}{url}").status_code == 404


def test_ask_answered_no_records_nothing(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    server: ServerProcess, tmp_path: Path,
) -> None:
    set_policy(server, "ask")
    page = technician.page
    code = technician.help_someone()
    agent = start_agent(agents, screen, server, tmp_path, code=code.replace(" ", ""))
    agent.window_saying("consent", "asks to record this session")
    agent.click("consent", "allow_view")   # the box left unticked
    wait_for_status(page, "View only")
    banner = agent.window_saying("banner", "can see your screen")
    assert "● Recording" not in banner["texts"]
    assert page.locator("#recording-mark").is_hidden()
    page.click("#end-session")
    agent.window_saying("ended", "Control is off")
    page.goto(technician.session_url + "/history")
    assert "The person refused the recording" in page.locator(
        "#events tr[data-action=recording_declined]").inner_text()
    assert page.locator("#player").count() == 0
    recordings = server.data_dir / "recordings"
    assert not recordings.exists() or list(recordings.iterdir()) == []


def test_the_join_page_asks_before_sharing_in_both_languages(
    browser: Browser, server: ServerProcess, tmp_path: Path,
) -> None:
    """The person sharing from a browser is asked on the join page, before anything is shared."""
    set_policy(server, "ask")
    folder = Path(SHOTS) if SHOTS else tmp_path
    with signed_in_client(server, "alice") as alice:
        for language, sentence, choice in (
            ("en", "Entraide Numérique asks to record this session. The recording is kept for "
                   "30 days, then deleted. You still get help if you say no.",
             "Yes, record this session"),
            ("fr", "Entraide Numérique demande à enregistrer cette session. L'enregistrement est "
                   "gardé 30 jours, puis effacé. Vous êtes aidé même si vous refusez.",
             "Oui, enregistrer cette session"),
        ):
            code = issue_code(alice)["code"]
            context = browser.new_context(viewport={"width": 1024, "height": 768},
                                          locale="fr-FR" if language == "fr" else "en-US")
            page = context.new_page()
            page.goto(server.url + "/join")
            page.fill("#share-code", code)
            page.click("#share-continue")
            page.locator("#share-recording-note", has_text=sentence).wait_for()
            assert page.locator("#share-record-choice").inner_text().strip() == choice
            assert not page.locator("#share-record").is_checked()
            page.screenshot(path=str(folder / f"join-recording-ask-{language}.png"))
            context.close()
