"""The whole agent under a mandate — real windows clicked and drawn on with xdotool, real
sockets — against a scripted server: signed before consent, a tool outside it refused by the
agent itself, a PDF copy saved, the warning, and the end the agent makes by itself."""

from __future__ import annotations

import asyncio
import base64
import io
import time
from pathlib import Path

from PIL import Image

from coupdemain.demo.xvfb import VirtualScreen
from coupdemain.protocol import messages as m
from coupdemain.protocol.enums import PersonRole, Tool
from coupdemain.protocol.mandate import Terms, digest, render
from tests.agent.fake_server import FakeServer
from tests.agent.test_app import AgentProcess, agents, xdotool

__all__ = ["agents"]  # the fixture

TERMS = Terms(purpose="Réparer l'imprimante qui n'imprime plus.", tools=frozenset({Tool.VIEW}),
              minutes=30, role=PersonRole.WATCH)
TEXT = render(TERMS, technician="Alice Martin", organisation="Entraide Numérique", language="fr")
SHA = digest(TEXT)
OFFER = m.MandateOffer("mandate", TEXT, SHA, ["view"], 30)
PDF = b"%PDF-1.7\n% le mandat signe\n%%EOF\n"
WELCOME = m.Welcome("s1", "Alice Martin", "Entraide Numérique", technician_id=7, mandate=True,
                    resume="r" * 43)


async def type_name(agent: AgentProcess, screen: VirtualScreen, name: str) -> None:
    entry = (await agent.window("mandate"))["entries"]["name"]
    await xdotool(screen, "mousemove", str(entry["x"] + 20),
                  str(entry["y"] + entry["height"] // 2), "click", "1")
    await xdotool(screen, "type", "--delay", "20", name)
    for _ in range(200):
        if agent.windows()["mandate"]["sign_enabled"]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("Sign never became enabled")


async def signed(agent: AgentProcess, server: FakeServer, screen: VirtualScreen,
                 ends_at: float) -> None:
    """The offer, the name typed, Sign; the server's state; Allow viewing."""
    await server.connected.wait()
    await server.send(OFFER)
    await agent.window("mandate", "vous demande de lire et de signer ce mandat")
    await type_name(agent, screen, "Marie Dupont")
    await agent.click(screen, "mandate", "sign")
    sign = await server.expect(m.MandateSign)
    await server.send(m.MandateState(SHA, ["view"], ends_at, signed_by=sign.name))
    await agent.click(screen, "consent", "allow_view")
    assert await server.expect(m.Consent) == m.Consent("allow_view")
    await server.send(m.State("viewing"))


async def test_signed_with_a_drawn_signature_then_a_tool_outside_is_refused_and_a_copy_saved(
    xvfb: VirtualScreen, agents: list[AgentProcess], tmp_path: Path,
) -> None:
    async with FakeServer(welcome=WELCOME, mandate_pdf=PDF) as server:
        agent = AgentProcess(xvfb, server.url, tmp_path / "trace.json", "482913705", lang="fr")
        agents.append(agent)
        await server.connected.wait()
        await server.send(OFFER)
        window = await agent.window("mandate", "vous demande de lire et de signer ce mandat")
        assert window["mandate_text"] == TEXT
        assert window["sign_enabled"] is False
        assert "consent" not in agent.windows()  # the mandate comes first

        await type_name(agent, xvfb, "Marie Dupont")
        pad = agent.windows()["mandate"]["pad"]
        x0, y0 = pad["x"] + 30, pad["y"] + 90
        await xdotool(xvfb, "mousemove", str(x0), str(y0), "mousedown", "1")
        for i in range(1, 31):  # one call per move: Tk would merge moves sent at once
            await xdotool(xvfb, "mousemove", str(x0 + i * 12), str(y0 - (i % 6) * 10))
            await asyncio.sleep(0.02)
        await xdotool(xvfb, "mouseup", "1")
        for _ in range(200):
            strokes = agent.windows()["mandate"]["strokes"]
            if strokes and strokes[0] >= 20:
                break
            await asyncio.sleep(0.05)
        assert len(strokes) == 1 and strokes[0] >= 20, strokes
        await agent.click(xvfb, "mandate", "sign")

        sign = await server.expect(m.MandateSign)
        assert (sign.sha256, sign.name) == (SHA, "Marie Dupont")
        drawing = Image.open(io.BytesIO(base64.b64decode(sign.drawing)))
        assert drawing.format == "PNG" and drawing.size == (480, 120)
        gray = drawing.convert("L")
        assert gray.getpixel((30, 90)) == 0 and gray.getpixel((30 + 12 * 12, 90)) == 0
        dark = sum(1 for value in gray.tobytes() if value < 128)
        assert dark > 300  # a line some 360 pixels long, 3 wide

        await server.send(m.MandateState(SHA, ["view"], time.time() + 1800, "Marie Dupont"))
        await agent.window("consent",
                           "Alice Martin, Entraide Numérique, souhaite voir votre écran.")
        await agent.click(xvfb, "consent", "allow_view")
        assert await server.expect(m.Consent) == m.Consent("allow_view")
        await server.send(m.State("viewing"))
        banner = await agent.window("banner", "voit votre écran")
        assert "save_mandate" in banner["buttons"]
        assert "send_file" not in banner["buttons"]  # files to the technician are outside

        # Tools outside the mandate, asked for directly: the agent answers no by itself.
        await server.send(m.ControlRequest(7, "Alice Martin", "Entraide Numérique"))
        assert await server.expect(m.ControlDecision) == m.ControlDecision("keep_view_only")
        await server.send(m.DiagnosticsRequest())
        await server.expect(m.DiagnosticsDeclined)
        await server.send(m.FileOffer("f" * 32, "facture.pdf", 10, "0" * 64, "to_person",
                                      "Alice Martin"))
        assert await server.expect(m.FileAnswer) == m.FileAnswer("f" * 32, False, "declined")
        assert not {"control", "diagnostics", "file_question"} & set(agent.windows())

        # Save a copy (PDF)…: the file dialog, then the bytes from the server.
        target = tmp_path / "mon mandat.pdf"
        await agent.click(xvfb, "banner", "save_mandate")
        chooser = await agent.window("file_chooser")
        entry = chooser["entries"]["file_name"]
        assert entry["text"] == "mandat.pdf"
        await xdotool(xvfb, "mousemove", str(entry["x"] + 10),
                      str(entry["y"] + entry["height"] // 2), "click", "1")
        await xdotool(xvfb, "key", "End", "shift+Home", "BackSpace")
        await xdotool(xvfb, "type", "--delay", "10", str(target))
        await xdotool(xvfb, "key", "Return")
        banner = await agent.window("banner", "Une copie du mandat a été enregistrée")
        assert f"Une copie du mandat a été enregistrée : {target}" in banner["texts"]
        assert target.read_bytes() == PDF and server.pdf_requests == 1

        # The server has no copy to give: a sentence, and the session goes on.
        server.mandate_pdf = b""
        await agent.click(xvfb, "banner", "save_mandate")
        await agent.window("file_chooser")
        await xdotool(xvfb, "key", "End", "shift+Home", "BackSpace")
        await xdotool(xvfb, "type", "--delay", "10", str(tmp_path / "autre.pdf"))
        await xdotool(xvfb, "key", "Return")
        await agent.window("banner", "Le serveur n'a pas donné la copie du mandat.")
        assert not (tmp_path / "autre.pdf").exists()
        assert agent.process.poll() is None


async def test_the_warning_then_the_agent_ends_the_session_itself(
    xvfb: VirtualScreen, agents: list[AgentProcess], tmp_path: Path,
) -> None:
    async with FakeServer(welcome=WELCOME) as server:
        agent = AgentProcess(xvfb, server.url, tmp_path / "trace.json", "482913705", lang="fr")
        agents.append(agent)
        # Four minutes left: the agent's own clock puts the warning on the banner.
        await signed(agent, server, xvfb, ends_at=time.time() + 240)
        await agent.window(
            "banner", "Cette aide se termine dans 5 minutes, sauf si vous acceptez plus de temps.")
        # The time ran out 11 s ago, and the server did not end the session: the agent does.
        await server.send(m.MandateState(SHA, ["view"], time.time() - 11, "Marie Dupont"))
        await server.expect(m.End)
        ended = await agent.window("ended", "Le temps prévu par le mandat est écoulé")
        assert "Plus rien n'est partagé : personne ne voit votre écran." in ended["texts"]
        await agent.click(xvfb, "ended", "close")
        assert await agent.exit_code() == 0


async def test_do_not_sign_ends_in_words(
    xvfb: VirtualScreen, agents: list[AgentProcess], tmp_path: Path,
) -> None:
    async with FakeServer(welcome=WELCOME) as server:
        agent = AgentProcess(xvfb, server.url, tmp_path / "trace.json", "482913705")
        agents.append(agent)
        await server.connected.wait()
        await server.send(OFFER)
        window = await agent.window("mandate", "asks you to read and sign this mandate")
        assert window["buttons"]["refuse"]["label"] == "Do not sign"
        await agent.click(xvfb, "mandate", "refuse")
        assert await server.expect(m.MandateRefuse) == m.MandateRefuse(SHA)
        assert server.agent is not None
        await server.agent.close(4004)
        await agent.window("ended", "You did not sign the mandate, so the session ended. "
                                    "Nothing was shared.")
        assert "consent" not in agent.windows()
        assert await agent.exit_code(timeout=30) == 0
