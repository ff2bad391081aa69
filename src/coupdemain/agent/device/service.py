"""``coupdemain agent run``: the device's service, connected out to its server for good.

It proves itself by signing the server's challenge, sends its inventory and
a heartbeat, and starts the agent (``coupdemain get-help``) on each session
a technician launches, with the device's policy: ``--unattended`` (no
prompt; the banner says so) or ``--consent-timeout`` (the person is asked;
no answer in time means no). After a network cut, a server restart or a
reboot it connects again by itself, waiting 1, 2, 4… seconds (jittered, at
most ``--reconnect-max-seconds``). The agents it started stop with it: a
launch dies when the service stops.

Exit codes: 0 stopped (SIGTERM, Ctrl+C); 2 not enrolled; 3 the server
refuses this device for good (revoked, unknown, wrong key); 4 the server
does not speak this agent's protocol version.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import ssl
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from ...i18n import Translator
from ...protocol import device as d
from ...protocol.errors import RemoteProtocolError
from ..connection import websocket_url
from .ask import AskBridge
from .identity import DeviceIdentity, Enrolment
from .inventory import describe

logger = logging.getLogger("coupdemain.agent.device")

DEVICE_PATH = "/ws/device"
OPEN_TIMEOUT_SECONDS = 15.0
PING_INTERVAL_SECONDS = 5.0
PING_TIMEOUT_SECONDS = 10.0
INVENTORY_EVERY_HEARTBEATS = 20  # the signed-in user may change; the rest rarely does

_M = TypeVar("_M", d.Challenge, d.DeviceWelcome)

EXIT_STOPPED, EXIT_NOT_ENROLLED, EXIT_REFUSED, EXIT_VERSION = 0, 2, 3, 4


class Refusal(Exception):
    """The server refused this device for good; the service stops."""

    def __init__(self, refused: d.Refused) -> None:
        super().__init__(refused.sentence)
        self.refused = refused

    @property
    def exit_code(self) -> int:
        return EXIT_VERSION if self.refused.reason.startswith("version_") else EXIT_REFUSED


def backoff_wait(attempt: int, longest: float, rng: Callable[[], float] = random.random) -> float:
    """The wait before connecting again: 1, 2, 4… s up to ``longest``, each between half and all.

    The jitter spreads a fleet's reconnections after a server restart.
    """
    ceiling = min(longest, float(2 ** min(attempt, 16)))
    return ceiling * (0.5 + 0.5 * rng())


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    """Linux: the agent gets SIGTERM if the service dies, even by SIGKILL."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Launcher:
    """Starts ``coupdemain get-help`` on each launched session, and stops them with the service."""

    server: str
    language: str | None = None
    allow_insecure_http: bool = False
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def command(self, launch: d.Launch) -> list[str]:
        args = [sys.executable, "-m", "coupdemain", "get-help", "--server", self.server,
                "--code", launch.code]
        if self.language:
            args += ["--lang", self.language]
        if self.allow_insecure_http:
            args.append("--allow-insecure-http")
        if launch.view_accepted:
            args.append("--view-accepted")  # the person asked for help (agent/device/ask.py)
        if launch.unattended:
            args.append("--unattended")
        else:
            args += ["--consent-timeout", f"{max(1.0, launch.prompt_seconds):g}"]
        return args

    def launch(self, launch: d.Launch) -> None:
        self.children = [c for c in self.children if c.poll() is None]
        logger.info("session %s launched (%s)", launch.launch_id,
                    "unattended" if launch.unattended else "attended")
        self.children.append(subprocess.Popen(
            self.command(launch),
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
        ))

    def stop_all(self) -> None:
        for child in self.children:
            if child.poll() is None:
                child.terminate()
        for child in self.children:
            try:
                child.wait(5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(5)
        self.children.clear()


class DeviceService:
    """The service's loop: connect, prove, report, launch; again after each drop.

    Args:
        identity: the device's key and enrolment.
        launcher: starts the agent on launched sessions.
        reconnect_max: the longest wait between two attempts, in seconds.
        protocol: the device protocol this agent says it speaks (tests change it).
        sleep, rng: injected by tests.
        max_attempts: stop after this many failed connections in a row (None: never).
        ask: the *Ask for help* window's bridge (None: no window).
    """

    def __init__(
        self, identity: DeviceIdentity, enrolment: Enrolment, launcher: Launcher, *,
        ws_url: str, reconnect_max: float = 60.0, protocol: int = d.DEVICE_PROTOCOL_VERSION,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[], float] = random.random, max_attempts: int | None = None,
        ask: AskBridge | None = None,
    ) -> None:
        self.ask = ask
        self.identity, self.enrolment, self.launcher = identity, enrolment, launcher
        self.ws_url = ws_url
        self.reconnect_max = reconnect_max
        self.protocol = protocol
        self.sleep, self.rng = sleep, rng
        self.max_attempts = max_attempts
        self.connections = 0  # how many times the server welcomed this device

    async def run(self) -> int:
        """Runs until stopped or refused for good; returns the exit code."""
        failures = 0
        if self.ask is not None:
            await self.ask.start()
        try:
            while self.max_attempts is None or failures < self.max_attempts:
                try:
                    welcomed = await self._connect_once()
                except Refusal:
                    raise
                except (OSError, TimeoutError, InvalidHandshake, InvalidURI,
                        ConnectionClosed, RemoteProtocolError) as exc:
                    logger.info("no connection to %s: %s", self.ws_url, exc)
                    welcomed = False
                failures = 0 if welcomed else failures + 1
                wait = backoff_wait(failures, self.reconnect_max, self.rng)
                logger.info("connecting again in %.1f s", wait)
                await self.sleep(wait)
            return EXIT_STOPPED
        finally:
            self.launcher.stop_all()
            if self.ask is not None:
                await self.ask.stop()

    async def _connect_once(self) -> bool:
        """One connection, until it closes; True if the server welcomed the device.

        Raises:
            Refusal: the server refused this device for good.
        """
        options: dict[str, Any] = {}
        if self.ws_url.startswith("wss:"):
            options["ssl"] = ssl.create_default_context()
        async with connect(
            self.ws_url, open_timeout=OPEN_TIMEOUT_SECONDS, max_size=d.MAX_DEVICE_MESSAGE_BYTES,
            ping_interval=PING_INTERVAL_SECONDS, ping_timeout=PING_TIMEOUT_SECONDS,
            compression=None, **options,
        ) as ws:
            welcome = await self._prove(ws)
            self.connections += 1
            logger.info("connected to %s as device %s (%s)", self.enrolment.server,
                        welcome.device_id, welcome.organisation)
            await ws.send(d.serialize(d.Inventory(**describe())))
            beating = asyncio.create_task(self._beat(ws, welcome.heartbeat_seconds))

            async def send(message: d.DeviceMessage) -> None:
                await ws.send(d.serialize(message))

            if self.ask is not None:
                await self.ask.connected(send, welcome.organisation)
            try:
                while True:
                    try:
                        text = await ws.recv()
                    except ConnectionClosed as exc:
                        logger.info("the connection closed (%s)", exc.rcvd.code if exc.rcvd
                                    else "no close frame")
                        return True
                    message = d.parse(text, d.SERVER_SENDS)
                    logger.debug("< %s", message.type)
                    match message:
                        case d.Launch():
                            self.launcher.launch(message)
                        case d.HelpUpdate() if self.ask is not None:
                            await self.ask.receive(message)
                        case d.Refused():
                            raise Refusal(message)
                        case _:
                            logger.debug("message %s ignored", message.type)
            finally:
                beating.cancel()
                if self.ask is not None:
                    await self.ask.disconnected()

    async def _prove(self, ws: ClientConnection) -> d.DeviceWelcome:
        await ws.send(d.serialize(d.DeviceHello(self.protocol, self.enrolment.device_id)))
        challenge = await self._expect(ws, d.Challenge)
        nonce = d.decode_nonce(challenge.nonce)
        signature = self.identity.sign_challenge(self.enrolment.device_id, nonce)
        await ws.send(d.serialize(d.Proof(signature)))
        return await self._expect(ws, d.DeviceWelcome)

    async def _expect(self, ws: ClientConnection, kind: type[_M]) -> _M:
        text = await asyncio.wait_for(ws.recv(), OPEN_TIMEOUT_SECONDS)
        message = d.parse(text, d.SERVER_SENDS)
        if isinstance(message, d.Refused):
            raise Refusal(message)
        if not isinstance(message, kind):
            raise RemoteProtocolError(f"the server sent {message.type!r}, not {kind.__name__}")
        return message

    async def _beat(self, ws: ClientConnection, seconds: float) -> None:
        beats = 0
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(max(1.0, seconds))
                beats += 1
                if beats % INVENTORY_EVERY_HEARTBEATS == 0:
                    await ws.send(d.serialize(d.Inventory(**describe())))
                else:
                    await ws.send(d.serialize(d.Heartbeat()))


def run_service(identity: DeviceIdentity, t: Translator, *, language: str | None,
                allow_insecure_http: bool, reconnect_max: float,
                protocol: int = d.DEVICE_PROTOCOL_VERSION, help_button: bool = True) -> int:
    """``coupdemain agent run``: the loop in the foreground until SIGTERM or Ctrl+C."""
    enrolment = identity.enrolled()
    if enrolment is None or not identity.key_path.exists():
        print(t("device.not_enrolled"), file=sys.stderr)
        return EXIT_NOT_ENROLLED
    ws_url = websocket_url(enrolment.server, allow_insecure_http, path=DEVICE_PATH)
    launcher = Launcher(enrolment.server, language, allow_insecure_http)
    service = DeviceService(identity, enrolment, launcher, ws_url=ws_url,
                            reconnect_max=reconnect_max, protocol=protocol,
                            ask=AskBridge(language) if help_button else None)

    async def main() -> int:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C only
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            return await service.run()
        except asyncio.CancelledError:
            return EXIT_STOPPED

    try:
        return asyncio.run(main())
    except Refusal as exc:
        logger.error("the server refused this device: %s", exc.refused.sentence)
        print(t("device.refused", sentence=exc.refused.sentence), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return EXIT_STOPPED
