"""The whole agent — real windows, real sockets, real capture and XTest on Xvfb —
against a scripted server."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coupdemain.agent.app import run_get_help
from coupdemain.demo.xvfb import VirtualScreen
from coupdemain.protocol import frames
from coupdemain.protocol import messages as m
from coupdemain.protocol.errors import CloseReason
from tests.agent.conftest import NotesApp, read_json
from tests.agent.fake_server import FakeServer
from tests.support.known import TEST_ORGANISATIONS, config_home
from tests.support.server import ServerProcess


class AgentProcess:
    def __init__(self, screen: VirtualScreen, url: str, trace: Path, *args: str,
                 lang: str = "en") -> None:
        self.trace = trace
        env = screen.env()
        env["COUPDEMAIN_UI_TRACE"] = str(trace)
        env["XDG_CONFIG_HOME"] = str(config_home(trace.with_name(trace.stem + "-config"),
                                                 *TEST_ORGANISATIONS))
        code = (
            "import sys; from coupdemain.agent.app import run_get_help; "
            f"sys.exit(run_get_help({url!r}, {args[0] if args else None!r}, {lang!r}, "
            f"False, {'--assume-consent' in args}))"
        )
        self.log = trace.with_suffix(".log")
        self.process = subprocess.Popen(
            [sys.executable, "-c", code], env=env, stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def windows(self) -> dict[str, dict[str, Any]]:
        return {w["name"]: w for w in (read_json(self.trace) or {}).get("windows", [])}

    async def window(self, name: str, words: str = "", timeout: float = 20.0) -> dict[str, Any]:
        for _ in range(int(timeout / 0.05)):
            window = self.windows().get(name)
            if window and (not words or any(words in text for text in window["texts"])):
                return window
            assert self.process.poll() is None, self.log.read_text()
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {name} window saying {words!r}: {self.windows()}")

    async def click(self, screen: VirtualScreen, window: str, button: str) -> None:
        geometry = (await self.window(window))["buttons"][button]
        await xdotool(screen, "mousemove", str(geometry["x"] + geometry["width"] // 2),
                      str(geometry["y"] + geometry["height"] // 2), "click", "1")

    async def exit_code(self, timeout: float = 20.0) -> int:
        for _ in range(int(timeout / 0.05)):
            if self.process.poll() is not None:
                return self.process.returncode
            await asyncio.sleep(0.05)
        raise AssertionError("the agent did not exit")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


async def xdotool(screen: VirtualScreen, *args: str) -> None:
    process = await asyncio.create_subprocess_exec("xdotool", *args, env=screen.env())
    assert await asyncio.wait_for(process.wait(), 20) == 0


@pytest.fixture
def agents() -> Iterator[list[AgentProcess]]:
    started: list[AgentProcess] = []
    yield started
    for agent in started:
        agent.stop()


def test_plain_http_to_another_computer_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code = run_get_help("http://help.example.org", "123456789", "en", False, False)
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        "The server address http://help.example.org uses plain HTTP, which others on the "
        "network could read. Use its https:// address, or add --allow-insecure-http if you "
        "trust this network."
    )


async def test_wrong_code_then_consent_frames_control_and_end(
    xvfb: VirtualScreen, notes: NotesApp, agents: list[AgentProcess], tmp_path: Path
) -> None:
    async with FakeServer(refuse={"111111111": int(CloseReason.CODE_INVALID)}) as server:
        agent = AgentProcess(xvfb, server.url, tmp_path / "trace.json")
        agents.append(agent)
        prompt = await agent.window("code_prompt")
        entry = prompt["entries"]["code"]
        await xdotool(xvfb, "mousemove", str(entry["x"] + 10), str(entry["y"] + 10), "click", "1")
        await xdotool(xvfb, "type", "111 111 111")
        await agent.click(xvfb, "code_prompt", "connect")
        await agent.window("code_prompt", "This code is not valid. Check the 9 digits")
        await xdotool(xvfb, "key", "ctrl+a", "BackSpace")
        await xdotool(xvfb, "type", "482913705")
        await xdotool(xvfb, "key", "Return")

        consent = await agent.window(
            "consent", "Alice Martin, Entraide Numérique, wants to see your screen.")
        assert consent["buttons"]["allow_view"]["label"] == "Allow viewing"
        assert "code_prompt" not in agent.windows()
        assert [h.code for h in server.hellos] == ["111111111", "482913705"]
        assert server.hellos[1].role == "agent" and server.hellos[1].language == "en"
        await agent.click(xvfb, "consent", "allow_view")
        assert await server.expect(m.Consent) == m.Consent("allow_view")

        await server.send(m.State("viewing"))
        await server.send(m.Peer("viewer", True))
        screen = await server.expect(m.Screen)
        assert (screen.width, screen.height, screen.monitor) == (1280, 800, m.ALL_MONITORS)
        shape = await server.expect(frames.CursorShape)  # the pointer comes with the keyframe
        assert shape.width > 0 and shape.png.startswith(b"\x89PNG")
        keyframe = await server.expect(frames.FrameUpdate)
        assert keyframe.keyframe
        banner = await agent.window("banner", "Alice Martin, Entraide Numérique, can see")
        assert set(banner["buttons"]) == {"pause", "chat", "send_file", "end_session"}

        # Input before control is refused by the agent itself.
        x, y = notes.block_centre()
        await server.send(m.Pointer(x, y, 1))
        await server.send(m.Pointer(x, y, 0))
        await server.send(m.ControlRequest())
        await agent.window("control", "asks to control your computer")
        await agent.click(xvfb, "control", "allow_control")
        assert await server.expect(m.ControlDecision) == m.ControlDecision("allow_control")
        assert notes.state()["clicks"] == 0

        await server.send(m.State("controlling"))
        banner = await agent.window("banner", "can see and control your computer")
        assert "stop_control" in banner["buttons"]
        await server.send(m.Pointer(x, y, 1))
        await server.send(m.Pointer(x, y, 0))
        for _ in range(400):
            if notes.state()["clicks"] == 1:
                break
            await asyncio.sleep(0.05)
        assert notes.state()["color"] == "#ffff00"
        # The pointer moved there travels back on its own, for the viewer to draw.
        for _ in range(50):
            if await server.expect(frames.CursorPosition) == frames.CursorPosition(x, y):
                break
        else:
            raise AssertionError("the pointer's position never came")

        # The person takes control back; input stops at once.
        await agent.click(xvfb, "banner", "stop_control")
        await server.expect(m.ControlRevoke)
        await server.send(m.Key("KeyR", "r", True))
        await server.send(m.Key("KeyR", "r", False))
        await server.send(m.State("viewing"))
        await agent.window("banner", "can see your screen.")

        await server.end("technician", int(CloseReason.ENDED_BY_TECHNICIAN))
        ended = await agent.window("ended", "Alice Martin (the technician) ended the session.")
        assert "Nothing is shared: nobody can see your screen now." in ended["texts"]
        await agent.click(xvfb, "ended", "close")
        assert await agent.exit_code() == 0
        assert notes.state()["text"] == ""


async def test_pause_resume_and_end_from_the_banner(
    xvfb: VirtualScreen, agents: list[AgentProcess], tmp_path: Path
) -> None:
    async with FakeServer() as server:
        agent = AgentProcess(xvfb, server.url, tmp_path / "trace.json", "482913705",
                             "--assume-consent")
        agents.append(agent)
        assert await server.expect(m.Consent) == m.Consent("allow_view")
        await server.send(m.State("viewing"))
        await server.send(m.Peer("viewer", True))
        first = await server.expect(frames.FrameUpdate)
        await server.send(m.FrameAck(first.frame_id))
        banner = await agent.window("banner", "consent was given on your behalf")
        await agent.click(xvfb, "banner", "pause")
        assert await server.expect(m.Pause) == m.Pause(True)
        await server.send(m.State("viewing", paused=True))
        banner = await agent.window("banner", "Sharing is paused")
        assert set(banner["buttons"]) == {"resume", "chat", "send_file", "end_session"}
        await agent.click(xvfb, "banner", "resume")
        assert await server.expect(m.Pause) == m.Pause(False)
        await server.send(m.State("viewing", paused=False))
        assert (await server.expect(frames.FrameUpdate)).keyframe  # a fresh picture after the pause

        await server.send(m.Peer("viewer", False))
        await agent.window("banner", "The connection to Alice Martin dropped")

        await agent.click(xvfb, "banner", "end_session")
        await server.expect(m.End)
        await server.end("person", int(CloseReason.ENDED_BY_PERSON))
        await agent.window("ended", "You ended the session.")
        assert await agent.exit_code() == 0


async def test_connection_lost_is_said_in_words(
    xvfb: VirtualScreen, agents: list[AgentProcess], tmp_path: Path
) -> None:
    async with FakeServer() as server:
        agent = AgentProcess(xvfb, server.url, tmp_path / "trace.json", "482913705",
                             lang="fr")
        agents.append(agent)
        consent = await agent.window(
            "consent", "Alice Martin, Entraide Numérique, souhaite voir votre écran.")
        assert consent["buttons"]["allow_view"]["label"] == "Autoriser à voir mon écran"
        assert server.agent is not None
        server.agent.transport.abort()  # no close frame: the network dropped
        await agent.window("ended", "La connexion au serveur a été perdue")
        assert await agent.exit_code() == 1


async def test_expired_code_given_on_the_command_line(
    xvfb: VirtualScreen, agents: list[AgentProcess], tmp_path: Path
) -> None:
    async with FakeServer(refuse={"482913705": int(CloseReason.CODE_EXPIRED)}) as server:
        agent = AgentProcess(xvfb, server.url, tmp_path / "trace.json", "482913705")
        agents.append(agent)
        await agent.window(
            "code_prompt", "This code has expired. Ask your technician for a new one.")


async def test_chat_is_announced_without_popping_up_and_answered(
    xvfb: VirtualScreen, agents: list[AgentProcess], tmp_path: Path
) -> None:
    async with FakeServer() as server:
        agent = AgentProcess(xvfb, server.url, tmp_path / "trace.json", "482913705",
                             "--assume-consent")
        agents.append(agent)
        await server.expect(m.Consent)
        await server.send(m.State("viewing"))
        await agent.window("banner", "can see your screen")
        await server.send(m.ChatMessage(1, 1_700_000_000.0, "technician", "Alice Martin",
                                        "Bonjour, je regarde votre écran."))
        await agent.window("banner", "New message from Alice Martin")
        assert "chat" not in agent.windows()  # announced, never popped up

        await agent.click(xvfb, "banner", "chat")
        chat = await agent.window("chat", "Chat with Alice Martin, Entraide Numérique")
        assert [line["text"] for line in chat["messages"]] == ["Bonjour, je regarde votre écran."]
        banner = agent.windows()["banner"]
        assert not any("New message" in text for text in banner["texts"])

        entry = chat["entries"]["message"]
        await xdotool(xvfb, "mousemove", str(entry["x"] + 10), str(entry["y"] + 5), "click", "1")
        await xdotool(xvfb, "type", "Merci, allez-y")
        await agent.click(xvfb, "chat", "send")
        assert await server.expect(m.Chat) == m.Chat("Merci, allez-y")
        # The server's echo is shown once, even when it comes twice (a replay).
        for _ in range(2):
            await server.send(m.ChatMessage(2, 1_700_000_001.0, "person", "marie",
                                            "Merci, allez-y"))
        await server.send(m.ChatMessage(3, 1_700_000_002.0, "technician", "Alice Martin", "OK"))
        for _ in range(100):
            lines = agent.windows()["chat"]["messages"]
            if lines[-1]["id"] == 3:
                break
            await asyncio.sleep(0.05)
        assert [(line["id"], line["author"]) for line in lines] == [
            (1, "technician"), (2, "person"), (3, "technician")
        ]


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_a_server_whose_identity_cannot_be_verified_is_named_so(
    xvfb: VirtualScreen, agents: list[AgentProcess], tmp_path: Path,
    untrusted_server: tuple[ServerProcess, Path], monkeypatch: pytest.MonkeyPatch, lang: str,
) -> None:
    server, _cert = untrusted_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    sentence = {
        "en": f"The identity of the server {server.url} could not be verified. Do not continue "
              "unless your technician confirms that this is expected.",
        "fr": f"L'identité du serveur {server.url} n'a pas pu être vérifiée. Ne continuez pas, "
              "sauf si votre technicien vous confirme que c'est normal.",
    }[lang]
    agent = AgentProcess(xvfb, server.url, tmp_path / "trace.json", "482913705", lang=lang)
    agents.append(agent)
    prompt = await agent.window("code_prompt", server.url)
    assert sentence in prompt["texts"]
    assert not any("Internet" in text for text in prompt["texts"])
