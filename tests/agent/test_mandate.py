"""The mandate as the agent holds it: the one rule of tools, the PDF copy fetched and written,
the signature drawn into a PNG."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

from coupdemain.agent.mandate import (
    COPY_NETWORK,
    COPY_REFUSED,
    COPY_WRITE,
    Binding,
    CopyFailed,
    documents_folder,
    fetch_copy,
    tool_needed,
    write_copy,
)
from coupdemain.agent.ui import events as ev
from coupdemain.agent.ui.mandate import PAD_HEIGHT, PAD_WIDTH, draw_signature
from coupdemain.protocol import messages as m
from coupdemain.protocol.enums import Tool

PDF = b"%PDF-1.7\n% the mandate\n"
SECRET = "resume-secret-1"


def test_each_request_and_click_needs_its_tool() -> None:
    offer = m.FileOffer("f" * 32, "a.txt", 1, direction="to_person")
    table = {
        m.ControlRequest(): Tool.CONTROL, m.Key("KeyA", "a", True): Tool.CONTROL,
        m.Pointer(1, 1, 0): Tool.CONTROL, m.Wheel(1, 1, 0, 1): Tool.CONTROL,
        ev.ControlAnswer(True): Tool.CONTROL, ev.ControlAnswer(False): None,
        offer: Tool.FILES_TO_PERSON, ev.AnswerFile("f" * 32, True): Tool.FILES_TO_PERSON,
        ev.AnswerFile("f" * 32, False): None, ev.SendFile("/tmp/a"): Tool.FILES_TO_TECHNICIAN,
        m.Clipboard("x"): Tool.CLIPBOARD, ev.ClipboardCopied("x"): Tool.CLIPBOARD,
        m.DiagnosticsRequest(): Tool.DIAGNOSTICS, ev.DiagnosticsAnswer(True): Tool.DIAGNOSTICS,
        m.State("viewing"): None, m.ChatMessage(1, 0.0, "technician", "A", "x"): None,
        ev.EndSession(): None, m.Ended("technician", 4000): None,
    }
    for item, tool in table.items():
        assert tool_needed(item) == tool, item


def test_an_unsigned_state_allows_nothing() -> None:
    unsigned = Binding.from_state(m.MandateState("a" * 64, ["view", "control"], 100.0), 50.0)
    assert not unsigned.allows(Tool.VIEW) and not unsigned.allows(m.ControlRequest())
    signed = Binding.from_state(m.MandateState("a" * 64, ["view", "laser"], 100.0, "Marie"),
                                50.0)
    assert signed.tools == {Tool.VIEW}  # an unknown tool allows nothing


def test_the_end_is_read_on_this_computers_clock_whatever_its_error() -> None:
    # The server says 10:00:00 and an end at 10:30:00; this computer's clock is ten
    # minutes ahead (10:10:00 on receipt): here, the end is at 10:40:00.
    state = m.MandateState("a" * 64, ["view"], ends_at=36_000 + 1800, signed_by="Marie",
                           now=36_000)
    assert Binding.from_state(state, local_now=36_600).ends_at == 36_000 + 1800 + 600
    # A server that does not say its time: the end as it is.
    old = m.MandateState("a" * 64, ["view"], ends_at=37_800, signed_by="Marie")
    assert Binding.from_state(old, local_now=36_600).ends_at == 37_800


class CopyHandler(BaseHTTPRequestHandler):
    """The server's GET /api/agent/mandate.pdf, as MANDATE.md describes it."""

    body = PDF

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path != "/cdm/api/agent/mandate.pdf":
            self.send_error(404)
        elif self.headers.get("Authorization") != f"Bearer {SECRET}":
            self.send_error(401)
        else:
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(len(self.body)))
            self.end_headers()
            self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def copy_server() -> Iterator[tuple[str, type[CopyHandler]]]:
    handler = type("Handler", (CopyHandler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/cdm", handler
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_the_copy_is_fetched_with_the_resume_secret(
    copy_server: tuple[str, type[CopyHandler]],
) -> None:
    base, handler = copy_server
    assert fetch_copy(base, SECRET) == PDF
    with pytest.raises(CopyFailed) as refused:
        fetch_copy(base, "another")
    assert refused.value.reason == COPY_REFUSED
    handler.body = b"<html>not a pdf</html>"
    with pytest.raises(CopyFailed) as not_pdf:
        fetch_copy(base, SECRET)
    assert not_pdf.value.reason == COPY_REFUSED


def test_a_server_out_of_reach_is_a_network_failure() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(CopyFailed) as failed:
        fetch_copy(f"http://127.0.0.1:{port}", SECRET, timeout=5)
    assert failed.value.reason == COPY_NETWORK


def test_the_copy_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    write_copy(tmp_path / "mandat.pdf", PDF)
    assert (tmp_path / "mandat.pdf").read_bytes() == PDF
    with pytest.raises(CopyFailed) as failed:
        write_copy(tmp_path / "missing" / "mandat.pdf", PDF)
    assert failed.value.reason == COPY_WRITE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mandat.pdf"]


def test_documents_folder_or_home(tmp_path: Path) -> None:
    assert documents_folder(tmp_path) == tmp_path
    (tmp_path / "Documents").mkdir()
    assert documents_folder(tmp_path) == tmp_path / "Documents"
    (tmp_path / "Mes documents").mkdir()
    (tmp_path / ".config").mkdir()
    (tmp_path / ".config" / "user-dirs.dirs").write_text(
        'XDG_DOCUMENTS_DIR="$HOME/Mes documents"\n', encoding="utf-8")
    assert documents_folder(tmp_path) == tmp_path / "Mes documents"


def test_the_signature_is_drawn_into_a_png_where_the_points_were() -> None:
    assert draw_signature([]) == b""
    png = draw_signature([[(20, 60), (200, 60)], [(300, 30)]])
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (PAD_WIDTH, PAD_HEIGHT)
    gray = image.convert("L")
    assert gray.getpixel((100, 60)) == 0 and gray.getpixel((300, 30)) == 0
    assert gray.getpixel((100, 100)) == 255
