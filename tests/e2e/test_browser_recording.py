"""A browser share recorded by the technician's console: the person is told on the join page,
the console records the picture it receives (MediaRecorder), uploads it in pieces, and the
history page plays it back in a <video>; the file decodes with PyAV to the shared colours.

The scene (network namespace, both browsers, the application) is the browser-share test's.
"""

from __future__ import annotations

import io
from pathlib import Path

import av
import pytest

from tests.e2e.harness import wait_for
from tests.e2e.test_browser_share import CYAN, MAGENTA, Scene, _missing
from tests.e2e.test_recording import set_policy

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(bool(_missing()), reason=_missing() or "-")]


def near(got: tuple[int, ...], colour: str) -> bool:
    want = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return all(abs(a - b) <= 40 for a, b in zip(got, want, strict=True))


def test_a_browser_share_is_recorded_by_the_console_and_played_back(tmp_path: Path) -> None:
    with Scene(tmp_path, relay=False) as scene:
        set_policy(scene.server, "always")
        code = scene.help_someone()
        scene.person_joins(code)
        assert scene.person.locator("#share-recording-note").inner_text() == (
            "Entraide Numérique records this session: what you share is kept for 30 days, "
            "then deleted. While it records, this page says so.")
        assert scene.person.locator("#share-record-choice").is_hidden()
        scene.share()
        scene.wait_to_see(MAGENTA)
        scene.technician.locator("#recording-mark", has_text="● Recording").wait_for()
        scene.panel().locator("#share-recording-mark", has_text="● Recording").wait_for()
        wait_for(lambda: scene.technician.evaluate("window.coupdemainRecorder.seq") >= 2,
                 "two pieces recorded", 30)
        scene.set_colour(CYAN)
        scene.wait_to_see(CYAN)
        uploaded = int(scene.technician.evaluate("window.coupdemainRecorder.seq"))
        wait_for(lambda: scene.technician.evaluate("window.coupdemainRecorder.seq") >= uploaded + 2,
                 "two more pieces recorded after the change", 30)
        scene.technician.evaluate("window.coupdemainRecorder.uploads")
        scene.technician.click("#end-session")
        scene.technician.locator("#ended-sentence").wait_for()
        session_url = scene.technician.url
        scene.technician.goto(session_url + "/history")
        video = scene.technician.locator("#player-video")
        video.wait_for()
        wait_for(lambda: scene.technician.evaluate(
            "document.querySelector('#player-video').videoWidth") > 0,
            "the history's video to load", 30)
        session_id = session_url.rstrip("/").rsplit("/", 1)[-1]
        webm = scene.technician.request.get(f"{scene.server.url}/sessions/{session_id}/recording")
        assert webm.status == 200 and webm.headers["content-type"] == "video/webm"
        with av.open(io.BytesIO(webm.body())) as container:
            pictures = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        assert len(pictures) > 0
        height, width = pictures[0].shape[:2]
        spot = (int(height * 0.2), int(width * 0.6))
        colours = [tuple(int(v) for v in p[spot]) for p in pictures]
        assert any(near(c, MAGENTA) for c in colours) and near(colours[-1], CYAN), colours[-1]
        assert (scene.server.data_dir / "recordings" / f"{session_id}.webm.rec").exists()
