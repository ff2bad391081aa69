"""Files both ways between the console and the person's computer, checked byte for byte.

The agent reaches the server through a small TCP proxy that can cut the
first download of a file in the middle, as a flaky network would; the
agent must resume it from where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Route

from coupdemain.demo.xvfb import VirtualScreen
from tests.e2e.conftest import Technician
from tests.e2e.harness import Agent, wait_for, wait_for_status, xdotool
from tests.support.server import ServerProcess

DOWNLOAD = re.compile(rb"GET /api/sessions/\w+/files/[0-9a-f]{32} ")
UPLOAD = re.compile(rb"PUT /api/sessions/\w+/files/[0-9a-f]{32}\?offset=(\d+) ")


class CuttingProxy:
    """Forwards loopback TCP to the server; cuts the first file download or upload in the middle.

    ``cut_after``: the bytes of the response (download) or request (upload) let through.
    """

    def __init__(self, target_port: int, cut_after: int | None, delay: float = 0.0) -> None:
        self.target_port = target_port
        self.cut_after = cut_after
        self.delay = delay  # seconds after each 64 KiB of a download: a slow network
        self.requests: list[bytes] = []  # each request's head, as the agent sent it
        self.cuts = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> CuttingProxy:
        self._thread.start()
        assert self._ready.wait(10), "the proxy did not start"
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._cancel_all(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _cancel_all(self) -> None:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            writer.close()
            return
        self.requests.append(head)
        cut = cut_request = None
        if self.cut_after is not None and self.cuts == 0 and DOWNLOAD.match(head):
            cut = self.cut_after
            self.cuts += 1
        elif self.cut_after is not None and self.cuts == 0 and UPLOAD.match(head):
            cut_request = self.cut_after
            self.cuts += 1
        delay = self.delay if DOWNLOAD.match(head) else 0.0
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        up_writer.write(head)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter,
                       limit: int | None, pause: float = 0.0) -> None:
            sent = 0
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                while data := await src.read(65536):
                    if limit is not None and sent + len(data) > limit:
                        dst.write(data[: limit - sent])
                        await dst.drain()
                        break  # the network drops here
                    dst.write(data)
                    await dst.drain()
                    sent += len(data)
                    if pause:
                        await asyncio.sleep(pause)
            for w in (dst, writer, up_writer):
                w.close()

        await asyncio.gather(pipe(reader, up_writer, cut_request),
                             pipe(up_reader, writer, cut, delay))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The person's home folder; files go to its Downloads by default."""
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def proxy(server: ServerProcess) -> Iterator[CuttingProxy]:
    cutting = CuttingProxy(server.port, cut_after=1_500_000).start()
    yield cutting
    cutting.stop()


@pytest.fixture
def slow_proxy(server: ServerProcess) -> Iterator[CuttingProxy]:
    slow = CuttingProxy(server.port, cut_after=None, delay=0.05).start()
    yield slow
    slow.stop()


def join_through(
    proxy: CuttingProxy, technician: Technician, agents: list[Agent], screen: VirtualScreen,
    tmp_path: Path, home: Path, language: str = "en",
) -> Agent:
    code = technician.help_someone().replace(" ", "")
    agent = Agent(screen, proxy.url, tmp_path / f"ui-trace-{len(agents)}.json", code=code,
                  language=language, env={"HOME": str(home)}).start()
    agents.append(agent)
    agent.window_saying("consent", "Alice Martin")
    agent.click("consent", "allow_view")
    wait_for_status(technician.page, "View only")
    return agent


def test_a_file_to_the_person_is_cut_resumed_and_arrives_byte_for_byte(
    technician: Technician, agents: list[Agent], screen: VirtualScreen, proxy: CuttingProxy,
    tmp_path: Path, home: Path,
) -> None:
    page = technician.page
    agent = join_through(proxy, technician, agents, screen, tmp_path, home)
    content = os.urandom(6 * 1024 * 1024 + 123)
    source = tmp_path / "sent" / "rapport annuel.bin"
    source.parent.mkdir()
    source.write_bytes(content)

    page.set_input_files("#files-input", str(source))
    question = agent.window_saying("file_question", "Alice Martin wants to send you a file.")
    texts = " ".join(question["texts"])
    assert "rapport annuel.bin (6.3 MB)" in texts
    assert str(home / "Downloads") in texts
    assert "rapport annuel.bin" not in " ".join(os.listdir(home)), "nothing before the answer"
    agent.click("file_question", "accept_file")

    page.locator("#files-list li[data-state=delivered]").wait_for(timeout=60_000)
    assert page.locator("#files-list li").inner_text().count("Delivered") == 1
    saved = home / "Downloads" / "rapport annuel.bin"
    assert saved.read_bytes() == content
    assert sorted(os.listdir(home / "Downloads")) == ["rapport annuel.bin"]  # no .part left
    # The first download was cut; the second asked for the rest only.
    assert proxy.cuts == 1
    ranges = [re.search(rb"Range: bytes=(\d+)-", head, re.I) for head in proxy.requests
              if DOWNLOAD.match(head)]
    offsets = [int(r.group(1)) for r in ranges if r]
    assert offsets[0] == 0 and len(offsets) >= 2 and 0 < offsets[1] < len(content)
    files = agent.window_saying("files", "Its content was checked.")
    assert files["transfers"][0]["state"] == "delivered"

    page.click("#end-session")
    page.locator("#ended-message").wait_for()
    page.goto(technician.session_url + "/history")
    actions = page.locator("#events tr").evaluate_all(
        "rows => rows.map(r => r.dataset.action).filter(a => a && a.startsWith('file_'))")
    # The upload may end before or after the person answers.
    assert actions[0] == "file_offered" and actions[-1] == "file_delivered"
    assert sorted(actions[1:3]) == ["file_accepted", "file_uploaded"]
    delivered = page.locator("#events tr[data-action=file_delivered]").inner_text()
    assert "rapport annuel.bin" in delivered


def test_a_file_from_the_person_is_downloaded_from_the_console(
    technician: Technician, agents: list[Agent], screen: VirtualScreen, proxy: CuttingProxy,
    tmp_path: Path, home: Path,
) -> None:
    page = technician.page
    agent = join_through(proxy, technician, agents, screen, tmp_path, home)
    content = os.urandom(3 * 1024 * 1024 + 7)
    photo = home / "photo de vacances.jpg"
    photo.write_bytes(content)

    agent.click("banner", "send_file")
    entry = agent.window("file_chooser")["entries"]["file_name"]
    xdotool(screen, "mousemove", str(entry["x"] + 10), str(entry["y"] + entry["height"] // 2),
            "click", "1")
    xdotool(screen, "key", "ctrl+a", "BackSpace")
    xdotool(screen, "type", "--delay", "10", str(photo))
    xdotool(screen, "key", "Return")

    item = page.locator("#files-list li[data-state=ready]")
    item.wait_for(timeout=60_000)
    assert "photo de vacances.jpg" in item.inner_text()
    with page.expect_download() as downloading:
        item.locator("a.files-download").click()
    download = downloading.value
    assert download.suggested_filename == "photo de vacances.jpg"
    assert Path(download.path()).read_bytes() == content
    agent.window_saying("files", "Sent. Your technician can download it now.")
    # The first upload was cut; the agent asked the server where it stood and went on.
    offsets = [int(m.group(1)) for head in proxy.requests if (m := UPLOAD.match(head))]
    assert proxy.cuts == 1 and offsets[0] == 0 and 0 < offsets[1] < len(content)

    page.goto(technician.session_url + "/history")
    page.locator("#events tr[data-action=file_downloaded]").wait_for()
    assert "photo de vacances.jpg" in page.locator("#events tr[data-action=file_sent]").inner_text()


def test_a_refused_file_and_a_malicious_name_leave_nothing_on_the_computer(
    technician: Technician, agents: list[Agent], screen: VirtualScreen, proxy: CuttingProxy,
    tmp_path: Path, home: Path,
) -> None:
    page = technician.page
    agent = join_through(proxy, technician, agents, screen, tmp_path, home)
    source = tmp_path / "facture.pdf"
    source.write_bytes(b"%PDF-1.4 not really")

    page.set_input_files("#files-input", str(source))
    agent.window_saying("file_question", "facture.pdf")
    agent.click("file_question", "refuse_file")
    page.locator("#files-list li[data-state=refused]", has_text="The person refused this file."
                 ).wait_for()
    wait_for(lambda: "file_question" not in agent.windows(), "the question to close")

    # A name that climbs out of the folder: the browser keeps backslashes as they are.
    page.evaluate("""() => {
        const transfer = new DataTransfer();
        transfer.items.add(new File(["#!/bin/sh\\necho pwned\\n"], "..\\\\..\\\\.bashrc"));
        const zone = document.querySelector('#files-drop');
        zone.dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true}));
    }""")
    refused = page.locator("#files-list li[data-reason=name_path]")
    refused.wait_for()
    assert "its name contains a folder (like ../)" in refused.inner_text()
    assert "file_question" not in agent.windows()
    assert not (home / "Downloads").exists() or list((home / "Downloads").iterdir()) == []
    assert not (home / ".bashrc").exists() and not (tmp_path / ".bashrc").exists()

    page.click("#end-session")
    page.locator("#ended-message").wait_for()
    page.goto(technician.session_url + "/history")
    whys = page.locator("#events tr[data-action=file_refused]").all_inner_texts()
    assert len(whys) == 2
    assert "refused by the person" in whys[0]
    assert "the name contains a folder" in whys[1]


def test_either_side_cancels_and_nothing_is_left_behind(
    technician: Technician, agents: list[Agent], screen: VirtualScreen,
    slow_proxy: CuttingProxy, tmp_path: Path, home: Path,
) -> None:
    page = technician.page
    agent = join_through(slow_proxy, technician, agents, screen, tmp_path, home)
    first = tmp_path / "first.txt"
    first.write_bytes(b"not this one")
    big = tmp_path / "film.mkv"
    big.write_bytes(os.urandom(20 * 1024 * 1024))

    # The technician changes their mind while the person is being asked.
    page.set_input_files("#files-input", str(first))
    agent.window_saying("file_question", "first.txt")
    page.locator("#files-list li", has_text="first.txt").locator(".files-cancel").click()
    page.locator("#files-list li[data-state=cancelled]", has_text="You cancelled this transfer."
                 ).wait_for()
    wait_for(lambda: "file_question" not in agent.windows(), "the question to go away")

    # The person stops a slow download half way, from the files window.
    page.set_input_files("#files-input", str(big))
    agent.window_saying("file_question", "film.mkv")
    agent.click("file_question", "accept_file")
    files = agent.window_saying("files", " left", timeout=60)
    sending = page.locator("#files-list li[data-state=sending]", has_text="left")
    sending.wait_for(timeout=30_000)
    assert "The person is receiving it:" in sending.inner_text()
    cancel = next(b for b in files["buttons"] if b.startswith("cancel_"))
    agent.click("files", cancel)
    page.locator("#files-list li[data-state=cancelled]",
                 has_text="The person cancelled this transfer.").wait_for()
    agent.window_saying("files", "You cancelled this transfer.")
    downloads = home / "Downloads"
    wait_for(lambda: list(downloads.iterdir()) == [], "the .part file to be deleted")


def test_leaving_the_console_during_an_upload_asks_first(
    technician: Technician, agents: list[Agent], screen: VirtualScreen, proxy: CuttingProxy,
    tmp_path: Path, home: Path,
) -> None:
    page = technician.page
    join_through(proxy, technician, agents, screen, tmp_path, home)
    source = tmp_path / "photos.zip"
    source.write_bytes(os.urandom(256 * 1024))
    held: list[Route] = []
    # The upload's first piece never gets an answer: it is in flight for as long as needed.
    page.route(re.compile(r"/files/[0-9a-f]{32}\?offset="), lambda route: held.append(route))
    with page.expect_request(re.compile(r"/files/[0-9a-f]{32}\?offset=0")):
        page.set_input_files("#files-input", str(source))
    page.locator("#files-list").click()  # the browser asks only a page that was used

    with page.expect_event("dialog") as asked:
        page.close(run_before_unload=True)
    dialog = asked.value
    assert dialog.type == "beforeunload"
    dialog.dismiss()  # stay
    assert not page.is_closed()
    assert held, "the upload was in flight"

    # Once the transfer is cancelled there is nothing to lose: no question.
    asked_again: list[str] = []
    page.on("dialog", lambda extra: (asked_again.append(extra.type), extra.accept()))
    page.locator("#files-list li", has_text="photos.zip").locator(".files-cancel").click()
    page.locator("#files-list li[data-state=cancelled]").wait_for()
    with page.expect_event("close"):
        page.close(run_before_unload=True)
    assert asked_again == []
