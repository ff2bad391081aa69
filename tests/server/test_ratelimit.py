"""Limits on guessing: the server's budget of wrong codes, and the sign-in backoff per account."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coupdemain.config import Settings
from coupdemain.protocol import frames
from coupdemain.protocol.errors import (
    CloseReason,
    CodeChecksPaused,
    SupportCodeError,
    SupportCodeInvalid,
    TooManyAttempts,
)
from coupdemain.protocol.session import Person
from coupdemain.protocol.support_code import CODE_SPACE
from coupdemain.server import accounts
from coupdemain.server.audit import AuditLog
from coupdemain.server.auth import SignInGuard
from coupdemain.server.ratelimit import Backoff, FailureLimiter, GuessBudget
from coupdemain.server.relay import Relay
from coupdemain.server.rendezvous import Rendezvous
from coupdemain.server.store.database import create_engine, migrate, session_factory
from coupdemain.server.store.models import User


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the budget alone ----------------------------------------------------------


def test_the_budget_is_shared_by_the_live_codes() -> None:
    budget = GuessBudget(odds=1_000_000, code_space=10**9, lifetime=600, clock=Clock())
    assert budget.budget == 1000
    one = [budget.try_spend(1, oldest_age=10) for _ in range(1001)]
    assert sum(c is not None for c in one) == 1000
    budget = GuessBudget(odds=1_000_000, code_space=10**9, lifetime=600, clock=Clock())
    fifty = [budget.try_spend(50, oldest_age=10) for _ in range(21)]
    assert sum(c is not None for c in fifty) == 20


def test_a_right_code_is_refunded() -> None:
    budget = GuessBudget(odds=100_000_000, code_space=10**9, lifetime=600, clock=Clock())
    charges = [budget.try_spend(2, oldest_age=0) for _ in range(5)]
    assert budget.try_spend(2, oldest_age=0) is None
    assert charges[2] is not None
    budget.refund(charges[2])
    assert budget.spent == 8
    assert budget.try_spend(2, oldest_age=0) is not None


def test_guesses_older_than_every_live_code_no_longer_count() -> None:
    clock = Clock()
    budget = GuessBudget(odds=100_000_000, code_space=10**9, lifetime=600, clock=clock)
    for _ in range(10):
        assert budget.try_spend(1, oldest_age=30) is not None
    assert budget.try_spend(1, oldest_age=30) is None
    clock.now += 5
    # The code issued 35 s ago saw every guess: still spent.
    assert budget.try_spend(1, oldest_age=35) is None
    # Once the only live code is one issued after the guesses (with a second's
    # margin for the two clocks), they could not have hit it.
    assert budget.try_spend(1, oldest_age=3.9) is not None
    assert budget.spent == 1


def test_no_guess_outlives_a_code_lifetime() -> None:
    clock = Clock()
    budget = GuessBudget(odds=100_000_000, code_space=10**9, lifetime=600, clock=clock)
    for _ in range(10):
        budget.try_spend(1, oldest_age=0)
    clock.now += 601.5
    assert budget.try_spend(1, oldest_age=10_000) is not None


def test_with_no_live_code_nothing_is_charged() -> None:
    budget = GuessBudget(odds=100_000_000, code_space=10**9, lifetime=600, clock=Clock())
    for _ in range(100):
        assert budget.try_spend(0, oldest_age=0) is not None
    assert budget.spent == 0


# --- the budget in the rendezvous, against many addresses ----------------------


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    await migrate(engine)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


def make_rendezvous(
    db: async_sessionmaker[AsyncSession], settings: Settings, clock: Clock
) -> Rendezvous:
    """A rendezvous with the limits ``coupdemain serve`` builds from these settings."""
    return Rendezvous(
        db, AuditLog(db), Relay(frames.MAX_FRAME_MESSAGE_BYTES), secret=b"k" * 32,
        code_ttl=timedelta(seconds=settings.code_ttl_seconds),
        code_limiter=FailureLimiter(settings.code_attempts, settings.code_attempt_window,
                                    clock=clock),
        viewer_grace_seconds=settings.viewer_grace_seconds,
        guess_budget=GuessBudget(settings.code_guess_odds, CODE_SPACE,
                                 settings.code_ttl_seconds, clock=clock),
    )


async def technician(db: async_sessionmaker[AsyncSession]) -> User:
    return await accounts.create_user(
        db, username="alice", display_name="Alice Martin", organisation="Entraide",
        password="correct-horse-battery",
    )


def addresses() -> itertools.count[int]:
    return itertools.count(1)


def address(n: int) -> str:
    # Each guess from an address of its own: the per-address limit never bites.
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def wrong_code(live: set[str]) -> str:
    while (guess := f"{secrets.randbelow(CODE_SPACE):09d}") in live:
        pass
    return guess


@pytest.mark.parametrize("live_codes", [1, 7, 50])
async def test_no_number_of_addresses_gets_a_guesser_past_one_in_a_million(
    db: async_sessionmaker[AsyncSession], live_codes: int
) -> None:
    settings = Settings()
    clock = Clock()
    rendezvous = make_rendezvous(db, settings, clock)
    alice = await technician(db)
    live = {(await rendezvous.issue_code(alice)).code.digits for _ in range(live_codes)}
    checked = refused = 0
    person = Person(hostname="bot")
    # Within one code's lifetime (the clock stands still), from fresh addresses.
    for n in range(CODE_SPACE // settings.code_guess_odds + 50):
        try:
            await rendezvous.redeem_code(wrong_code(live), address(n), person)
        except CodeChecksPaused:
            refused += 1
        except SupportCodeInvalid:
            checked += 1
    # Each checked guess had live_codes chances in CODE_SPACE of hitting one.
    chance = checked * live_codes / CODE_SPACE
    assert chance <= 1 / settings.code_guess_odds
    assert chance == 1e-6 or live_codes == 7   # 1000 // 7 = 142 guesses: 0.994e-6
    assert refused >= 50


async def test_a_person_with_the_right_code_is_told_to_wait_while_checks_pause(
    db: async_sessionmaker[AsyncSession],
) -> None:
    settings = Settings(code_guess_odds=100_000_000)   # 10 wrong codes per code's life
    clock = Clock()
    rendezvous = make_rendezvous(db, settings, clock)
    alice = await technician(db)
    first = await rendezvous.issue_code(alice)
    for n in range(10):
        with pytest.raises(SupportCodeInvalid):
            await rendezvous.redeem_code(wrong_code({first.code.digits}), address(n), Person())
    with pytest.raises(CodeChecksPaused) as paused:
        await rendezvous.redeem_code(first.code.digits, "192.168.1.20", Person())
    assert paused.value.close_reason is CloseReason.CODE_CHECKS_PAUSED
    # The pause did not count against the person's address: once the code that
    # saw the guesses is gone, their new code works at once.
    live = rendezvous.live(first.session_id)
    assert live is not None
    await rendezvous.act(live, lambda s: s.server_end(CloseReason.ENDED_BY_TECHNICIAN))
    second = await rendezvous.issue_code(alice)
    clock.now += 2  # the guesses are older than the new code, by the clocks' margin
    session = await rendezvous.redeem_code(second.code.formatted(), "192.168.1.20", Person())
    assert session.session_id == second.session_id


async def test_the_per_address_limit_still_applies_first(
    db: async_sessionmaker[AsyncSession],
) -> None:
    settings = Settings()
    rendezvous = make_rendezvous(db, settings, Clock())
    alice = await technician(db)
    issued = await rendezvous.issue_code(alice)
    outcomes: list[type[SupportCodeError]] = []
    for _ in range(settings.code_attempts + 1):
        try:
            await rendezvous.redeem_code(wrong_code({issued.code.digits}), "10.0.0.1", Person())
        except SupportCodeError as exc:
            outcomes.append(type(exc))
    assert outcomes == [SupportCodeInvalid] * settings.code_attempts + [TooManyAttempts]


def test_the_configured_limits_keep_the_chance_under_one_in_a_million() -> None:
    """The worst case, from the settings alone: any number of live codes, any addresses."""
    settings = Settings()
    budget = CODE_SPACE // settings.code_guess_odds      # code-guesses per code's life
    for live_codes in (1, 2, 10, 100, 1000):
        guesses = budget // live_codes                   # wrong codes checked in its life
        assert guesses * live_codes / CODE_SPACE <= 1e-6
    # A person who mistypes while one code is live has a thousand wrong codes
    # to share with everyone else before anyone is paused.
    assert budget == 1000


# --- sign-in -------------------------------------------------------------------


def test_backoff_doubles_up_to_its_cap_and_is_forgotten() -> None:
    clock = Clock()
    backoff = Backoff(free=5, first=30, cap=900, forget_after=86400, clock=clock)
    for _ in range(4):
        backoff.record_failure("alice")
        assert backoff.retry_after("alice") == 0
    waits = []
    for _ in range(7):
        backoff.record_failure("alice")
        waits.append(backoff.retry_after("alice"))
    assert waits == [30, 60, 120, 240, 480, 900, 900]
    clock.now += 899
    assert backoff.retry_after("alice") == 1
    clock.now += 86400
    assert backoff.retry_after("alice") == 0
    backoff.record_failure("alice")
    assert backoff.retry_after("alice") == 0   # counting again from the start


def test_backoff_keeps_a_bounded_number_of_keys() -> None:
    backoff = Backoff(free=1, first=30, cap=900, clock=Clock(), max_keys=3)
    for key in "abcd":
        backoff.record_failure(key)
    assert backoff.retry_after("a") == 0
    assert backoff.retry_after("d") == 30


def guard(clock: Clock) -> SignInGuard:
    settings = Settings()
    return SignInGuard(
        b"s" * 32, FailureLimiter(settings.code_attempts, settings.code_attempt_window,
                                  clock=clock),
        Backoff(settings.login_account_attempts, settings.login_backoff_seconds,
                settings.login_backoff_max_seconds, clock=clock),
    )


def test_an_account_waits_whatever_addresses_the_guesses_come_from() -> None:
    clock = Clock()
    g = guard(clock)
    for n in range(5):
        assert g.check(address(n), "alice", None) is None
        g.failed(address(n), "alice", None)
    refusal = g.check(address(99), "Alice ", None)
    assert refusal is not None and refusal.by_account
    assert (refusal.retry_after, refusal.minutes) == (30, 1)
    clock.now += 30
    assert g.check(address(99), "alice", None) is None
    g.failed(address(99), "alice", None)
    refusal = g.check(address(100), "alice", None)
    assert refusal is not None and (refusal.retry_after, refusal.minutes) == (60, 1)


def test_the_owners_browser_is_not_locked_out_by_an_attacker() -> None:
    clock = Clock()
    g = guard(clock)
    device = g.device_cookie("alice")
    for n in range(20):
        clock.now += g.by_account.retry_after("alice")
        g.failed(address(n), "alice", None)
    assert g.check("192.168.1.20", "alice", None) is not None
    assert g.check("192.168.1.20", "alice", device) is None
    # The cookie is worth nothing for another account, or forged.
    assert g.check("192.168.1.20", "bob", device) is None    # bob has no failures at all
    g2 = guard(clock)
    nonce = device.partition(".")[0]
    for n in range(20):
        clock.now += g2.by_account.retry_after("alice")
        g2.failed(address(n), "alice", f"{nonce}.{'0' * 32}")
    assert g2.check("192.168.1.20", "alice", None) is not None


def test_odds_beyond_the_number_of_codes_are_refused_in_words() -> None:
    with pytest.raises(ValueError) as refused:
        GuessBudget(odds=2 * 10**9, code_space=10**9, lifetime=600)
    assert str(refused.value) == (
        "--code-guess-odds 2000000000 must be between 1 and 1000000000, the number of codes."
    )
