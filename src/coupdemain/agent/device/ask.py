"""The service's side of *Ask for help*: the window process, and the request's state.

``AskBridge`` starts ``coupdemain.agent.ui.ask_help`` (the always-visible
button and its windows) as a child process, reads the person's clicks from
its stdout, and sends them to the server over the device's authenticated
connection as ``help_request`` / ``help_cancel``; it passes each
``help_update`` back to the window. A request lives as long as the
connection it was sent on: when the connection drops or the service stops,
the window says it ended (and the server ends it on its side too).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ...protocol import device as d
from ..ui.trace import ENV_VAR as TRACE_ENV

logger = logging.getLogger("coupdemain.agent.device.ask")

Send = Callable[[d.DeviceMessage], Awaitable[None]]


def window_environment(base: dict[str, str]) -> dict[str, str]:
    """The window's environment: its own UI trace beside the agent's (``…-ask.json``).

    The agent the service launches writes the trace the service was given;
    two processes rewriting one file would each erase the other's windows.
    """
    env = dict(base)
    trace = env.get(TRACE_ENV)
    if trace:
        path = Path(trace)
        env[TRACE_ENV] = str(path.with_name(f"{path.stem}-ask{path.suffix}"))
    env["PYTHONUNBUFFERED"] = "1"
    return env


class AskBridge:
    """Between the window process and the server; one request at a time."""

    def __init__(self, language: str | None) -> None:
        self.language = language
        self.process: asyncio.subprocess.Process | None = None
        self._reading: asyncio.Task[None] | None = None
        self._send: Send | None = None
        self.organisation = ""
        self.pending: str | None = None  # the open request's id

    def command(self) -> list[str]:
        args = [sys.executable, "-m", "coupdemain.agent.ui.ask_help"]
        if self.language:
            args += ["--lang", self.language]
        return args

    async def start(self) -> None:
        try:
            self.process = await asyncio.create_subprocess_exec(
                *self.command(), stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, env=window_environment(dict(os.environ)))
        except OSError as exc:
            logger.warning("no Ask for help window: %s", exc)
            return
        self._reading = asyncio.create_task(self._read(), name="ask-help-window")

    async def stop(self) -> None:
        if self._reading is not None:
            self._reading.cancel()
        process = self.process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                process.kill()
                await process.wait()

    # --- the connection ------------------------------------------------------------

    async def connected(self, send: Send, organisation: str) -> None:
        self._send, self.organisation = send, organisation
        await self._tell({"state": "connected", "organisation": organisation})

    async def disconnected(self) -> None:
        self._send = None
        if self.pending is not None:
            self.pending = None
            await self._tell({"state": "ended"})
        await self._tell({"state": "offline"})

    async def receive(self, update: d.HelpUpdate) -> None:
        if update.request_id != self.pending:
            return
        if update.state != "open":
            self.pending = None
        await self._tell({"state": update.state, "technician": update.technician,
                          "organisation": update.organisation or self.organisation})

    # --- the window --------------------------------------------------------------

    async def _tell(self, line: dict[str, Any]) -> None:
        process = self.process
        if process is None or process.stdin is None or process.returncode is not None:
            return
        try:
            process.stdin.write((json.dumps(line) + "\n").encode())
            await process.stdin.drain()
        except (ConnectionError, OSError):
            logger.info("the Ask for help window is gone")

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        while line := await self.process.stdout.readline():
            try:
                click = json.loads(line)
            except ValueError:
                continue
            if isinstance(click, dict):
                await self.clicked(click)
        logger.info("the Ask for help window closed (exit %s)", await self.process.wait())

    async def clicked(self, click: dict[str, Any]) -> None:
        """One click of the person, from the window."""
        send = self._send
        match click.get("do"):
            case "ask":
                if send is None:
                    await self._tell({"state": "not_sent"})
                    return
                self.pending = uuid.uuid4().hex
                words = str(click.get("words", ""))[:d.MAX_HELP_WORDS]
                logger.info("the person asks for help")
                await self._try(send, d.HelpRequest(self.pending, words))
            case "cancel":
                request_id = self.pending
                if request_id is None:
                    return
                if send is None:
                    self.pending = None
                    await self._tell({"state": "cancelled"})
                    return
                await self._try(send, d.HelpCancel(request_id))

    async def _try(self, send: Send, message: d.DeviceMessage) -> None:
        try:
            await send(message)
        except Exception:  # noqa: BLE001 - the connection just dropped; disconnected() says so
            logger.info("could not send %s", message.type, exc_info=True)
