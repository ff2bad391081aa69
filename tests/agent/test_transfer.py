"""The agent's file transfers without a server: resume offsets, hashes, full disks, names."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import io
import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from coupdemain.agent import transfer as at
from coupdemain.agent.transfer import Mover, TransferCancelled, TransferFailed
from coupdemain.agent.ui import events as ev
from coupdemain.protocol import messages as m

DATA = bytes(range(256)) * 12_000  # about 3 MiB: several pieces
SHA = hashlib.sha256(DATA).hexdigest()
URL = "http://127.0.0.1:1/api/sessions/s/files/f"


class Response(io.BytesIO):
    def __init__(self, data: bytes, status: int, cut_after: int | None = None) -> None:
        super().__init__(data)
        self.status = status
        self.cut_after = cut_after

    def read(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        if self.cut_after is not None and self.tell() >= self.cut_after:
            raise ConnectionResetError("the network dropped")
        return super().read(size)


class FakeServer:
    """Serves DATA with ranges, drops the first download after ``cut`` bytes; takes uploads."""

    def __init__(self, cut: int | None = None) -> None:
        self.cut = cut
        self.ranges: list[str] = []
        self.received = bytearray()
        self.puts: list[int] = []
        self.drop_put_once = False

    def open(self, request: urllib.request.Request, timeout: float) -> Response:
        assert request.get_header("Authorization") == "Bearer tok"
        if request.get_method() == "GET" and request.full_url.endswith("/upload"):
            body = json.dumps({"received": len(self.received)}).encode()
            return Response(body, 200)
        if request.get_method() == "PUT":
            offset = int(request.full_url.rsplit("offset=", 1)[1])
            assert offset == len(self.received)
            data = request.data
            assert isinstance(data, bytes)
            self.puts.append(offset)
            if self.drop_put_once:
                self.drop_put_once = False
                self.received += data[: len(data) // 2]  # half arrived, then the drop
                raise ConnectionResetError("the network dropped")
            self.received += data
            return Response(json.dumps({"received": len(self.received)}).encode(), 200)
        header = request.get_header("Range")
        self.ranges.append(header)
        start = int(header.removeprefix("bytes=").rstrip("-"))
        cut, self.cut = self.cut, None
        return Response(DATA[start:], 206, cut)


def mover(server: FakeServer, **options: Any) -> Mover:
    return Mover(URL, "tok", opener=server, sleep=lambda _s: None, **options)


def test_a_dropped_download_resumes_where_it_stopped(tmp_path: Path) -> None:
    server = FakeServer(cut=1_500_000)
    seen: list[int] = []
    part = tmp_path / "notes.bin.part"
    mover(server, progress=seen.append).download(part, len(DATA), SHA)
    assert part.read_bytes() == DATA
    assert server.ranges[0] == "bytes=0-"
    resumed_at = int(server.ranges[1].removeprefix("bytes=").rstrip("-"))
    assert 1_500_000 <= resumed_at < len(DATA)
    assert seen[-1] == len(DATA)


def test_a_part_file_left_behind_is_continued_not_restarted(tmp_path: Path) -> None:
    part = tmp_path / "notes.bin.part"
    part.write_bytes(DATA[:1234])
    server = FakeServer()
    mover(server).download(part, len(DATA), SHA)
    assert server.ranges == ["bytes=1234-"]
    assert part.read_bytes() == DATA


def test_a_hash_mismatch_leaves_no_file(tmp_path: Path) -> None:
    part = tmp_path / "notes.bin.part"
    with pytest.raises(TransferFailed) as failed:
        mover(FakeServer()).download(part, len(DATA), "0" * 64)
    assert failed.value.reason == "checksum"
    assert list(tmp_path.iterdir()) == []


class FullDisk(io.BytesIO):
    """A file that takes ``room`` bytes, then fails as a full disk does."""

    def __init__(self, room: int, code: int) -> None:
        super().__init__()
        self.room, self.code = room, code

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.tell() + len(data) > self.room:
            raise OSError(self.code, "No space left on device")
        return super().write(data)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EFBIG, errno.EDQUOT])
def test_a_full_disk_is_named_as_such(tmp_path: Path, code: int) -> None:
    part = tmp_path / "big.iso.part"
    with pytest.raises(TransferFailed) as failed:
        mover(FakeServer(), open_file=lambda _p, _m: FullDisk(2_000_000, code)).download(
            part, len(DATA), SHA)
    assert failed.value.reason == "disk_full"


def test_a_cancelled_download_stops_between_pieces(tmp_path: Path) -> None:
    moving = mover(FakeServer())
    moving.progress = lambda _done: moving.cancelled.set()
    with pytest.raises(TransferCancelled):
        moving.download(tmp_path / "a.part", len(DATA), SHA)


def test_an_upload_cut_in_the_middle_resumes_from_what_the_server_holds(tmp_path: Path) -> None:
    source = tmp_path / "photo.jpg"
    source.write_bytes(DATA * 4)  # more than one PUT piece of 8 MiB
    server = FakeServer()
    server.drop_put_once = True
    mover(server).upload(source, len(DATA) * 4)
    assert bytes(server.received) == DATA * 4
    half = at.UPLOAD_PIECE_BYTES // 2
    assert server.puts == [0, half]


def test_final_names_never_replace_a_file(tmp_path: Path) -> None:
    (tmp_path / "report.pdf").write_bytes(b"mine")
    (tmp_path / "report (1).pdf").write_bytes(b"mine too")
    part = tmp_path / "report.pdf.part"
    part.write_bytes(b"new")
    final = at.finish_download(part, tmp_path, "report.pdf")
    assert final.name == "report (2).pdf" and final.read_bytes() == b"new"
    assert (tmp_path / "report.pdf").read_bytes() == b"mine"
    assert not part.exists()
    assert at.free_name(tmp_path, ".bashrc").name == ".bashrc"
    assert at.free_name(tmp_path, "archive").name == "archive"


def test_addresses_and_folders(tmp_path: Path) -> None:
    assert at.http_base("wss://help.example.org/cdm/ws/agent") == "https://help.example.org/cdm"
    assert at.http_base("ws://127.0.0.1:8765/ws/agent") == "http://127.0.0.1:8765"
    assert at.default_folder(tmp_path) == tmp_path / "Downloads"
    (tmp_path / ".config").mkdir()
    (tmp_path / ".config" / "user-dirs.dirs").write_text(
        'XDG_DESKTOP_DIR="$HOME/Bureau"\nXDG_DOWNLOAD_DIR="$HOME/Téléchargements"\n')
    assert at.default_folder(tmp_path) == tmp_path / "Téléchargements"


async def test_an_unsafe_name_is_refused_by_the_agent_too(tmp_path: Path) -> None:
    sent: list[m.Message] = []
    posted: list[ev.UiEvent] = []

    async def send(message: m.Message) -> None:
        sent.append(message)

    files = at.AgentFiles("http://x", "s", send, posted.append, folder=tmp_path)
    await files.receive(m.FileOffer("a" * 32, "../../.bashrc", 5, "", "to_person", "Alice"))
    assert sent == [m.FileAnswer("a" * 32, False, "name_path")]
    assert not any(isinstance(e, ev.AskFile) for e in posted)


async def test_a_full_disk_during_a_download_reports_and_keeps_nothing(tmp_path: Path) -> None:
    sent: list[m.Message] = []
    posted: list[ev.UiEvent] = []

    async def send(message: m.Message) -> None:
        sent.append(message)

    def full_disk_mover(url: str, token: str, **options: Any) -> Mover:
        return Mover(url, token, opener=FakeServer(), sleep=lambda _s: None,
                     open_file=lambda path, mode: FullDisk(500_000, errno.ENOSPC), **options)

    files = at.AgentFiles("http://x", "s", send, posted.append, folder=tmp_path,
                          make_mover=full_disk_mover)
    ident = "b" * 32
    await files.receive(m.FileOffer(ident, "big.iso", len(DATA), "", "to_person", "Alice"))
    await files.answer(ident, True, str(tmp_path / "Downloads"))
    await files.receive(m.FileTicket(ident, "tok", SHA))
    for _ in range(100):
        if files.running == {}:
            break
        await asyncio.sleep(0.02)
    assert m.FileResult(ident, False, "disk_full") in sent
    assert list((tmp_path / "Downloads").iterdir()) == []
    update = [e for e in posted if isinstance(e, ev.FileUpdate)][-1]
    assert (update.state, update.reason) == ("failed", "disk_full")


class Endless:
    """A 1 GiB download made of one reused piece: nothing is held but that piece."""

    PIECE = bytes(range(256)) * 4096

    def __init__(self, size: int) -> None:
        self.size, self.position, self.status = size, 0, 200
        self.largest_read = 0

    def __enter__(self) -> Endless:
        return self

    def __exit__(self, *_exc: object) -> None:
        pass

    def read(self, size: int) -> bytes:
        self.largest_read = max(self.largest_read, size)
        size = min(size, self.size - self.position, len(self.PIECE))
        self.position += size
        return self.PIECE if size == len(self.PIECE) else self.PIECE[:size]


class Sink(io.RawIOBase):
    def __init__(self) -> None:
        self.written = 0

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.written += len(data)
        return len(data)


def test_a_one_gibibyte_download_streams_in_pieces(tmp_path: Path) -> None:
    import tracemalloc

    size = 1024**3
    response = Endless(size)
    digest = hashlib.sha256()
    for _ in range(size // len(Endless.PIECE)):
        digest.update(Endless.PIECE)
    sink = Sink()

    class Opener:
        def open(self, request: urllib.request.Request, *, timeout: float) -> Endless:
            return response

    tracemalloc.start()
    try:
        Mover(URL, "tok", opener=Opener(), open_file=lambda _p, _m: sink).download(  # type: ignore[arg-type,return-value]
            tmp_path / "big.part", size, digest.hexdigest())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.written == size
    assert response.largest_read <= at.PIECE_BYTES
    assert peak < 16 * 1024**2, f"{peak} bytes held at once"
