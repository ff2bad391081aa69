"""The real server against guesses spread over many loopback addresses, and HSTS."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from coupdemain.protocol.errors import CloseReason
from tests.support.server import (
    PASSWORD,
    ServerProcess,
    csrf_of,
    issue_code,
    serving,
    signed_in_client,
)


def loopback(n: int) -> str:
    """A loopback address of its own for each guesser: 127.0.0.2, 127.0.0.3..."""
    return f"127.0.{n // 250}.{n % 250 + 2}"


@pytest.fixture
def strict_server(tmp_path: Path) -> Iterator[ServerProcess]:
    # One in 10^8: ten wrong codes during a code's life, from whatever addresses.
    with serving(tmp_path / "server", {"COUPDEMAIN_CODE_GUESS_ODDS": "100000000"}) as process:
        yield process


async def agent_close_code(server: ServerProcess, code: str, source: str) -> int:
    hello = json.dumps({"type": "hello", "protocol": 1, "role": "agent", "code": code})
    async with websockets.connect(server.ws_url + "/ws/agent", local_addr=(source, 0)) as ws:
        await ws.send(hello)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            for _ in range(10):
                await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_wrong_codes_from_many_addresses_share_one_budget(
    strict_server: ServerProcess,
) -> None:
    with signed_in_client(strict_server, "alice") as client:
        issued = issue_code(client)
    wrong = "000000000" if issued["code"] != "000000000" else "000000001"
    # Two wrong codes from each of 20 addresses: far under the 5 each may try.
    codes = [await agent_close_code(strict_server, wrong, loopback(n // 2)) for n in range(40)]
    assert codes[:10] == [CloseReason.CODE_INVALID] * 10
    assert codes[10:] == [CloseReason.CODE_CHECKS_PAUSED] * 30
    # A person from an address of their own, with the right code, is told to wait.
    assert await agent_close_code(strict_server, issued["code"], loopback(100)) == (
        CloseReason.CODE_CHECKS_PAUSED
    )
    assert "support codes are not checked for now" in strict_server.log()


def sign_in_from(server: ServerProcess, source: str, password: str,
                 cookies: httpx.Cookies | None = None) -> httpx.Response:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=server.url, transport=transport, cookies=cookies) as client:
        csrf = csrf_of(client.get("/login").text)
        return client.post("/login", data={
            "username": "alice", "password": password, "csrf_token": csrf,
        })


def test_an_account_waits_after_wrong_passwords_from_many_addresses(
    server: ServerProcess,
) -> None:
    # Alice signed in from her own browser yesterday: it keeps its device cookie.
    own = sign_in_from(server, loopback(100), PASSWORD)
    assert own.status_code == 303
    device = httpx.Cookies()
    device.set("cdm_device", own.cookies["cdm_device"], domain="127.0.0.1", path="/login")

    answers = [sign_in_from(server, loopback(n), "wrong-password") for n in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    assert "Too many wrong passwords for this account. Try again in a minute." in answers[4].text
    assert 0 < int(answers[4].headers["retry-after"]) <= 30
    # The right password from yet another address is refused all the same.
    refused = sign_in_from(server, loopback(6), PASSWORD)
    assert refused.status_code == 429
    assert "Too many wrong passwords for this account. Try again in a minute." in refused.text
    # Alice's own browser is not locked out by the guesses.
    assert sign_in_from(server, loopback(100), PASSWORD, cookies=device).status_code == 303


def test_hsts_is_not_sent_over_plain_http(server: ServerProcess) -> None:
    response = httpx.get(server.url + "/login")
    assert response.status_code == 200
    assert "strict-transport-security" not in response.headers
