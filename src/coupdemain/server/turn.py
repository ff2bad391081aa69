"""The ICE servers of a browser share: TURN credentials minted from a shared secret.

coturn's ``use-auth-secret`` (the TURN REST scheme, draft-uberti-behave-turn-rest):
the server and coturn share a secret; a credential is the username
``"<expiry>:<user>"`` (expiry in Unix seconds) and the password
``base64(HMAC-SHA1(secret, username))``. coturn recomputes the password and
refuses an expired username, so a page never holds a static password, and
what it holds stops working after ``--turn-ttl-seconds``.
docs/howto/deploy.md shows coturn's side.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..config import Settings
from ..protocol import messages as m
from ..protocol.enums import IcePolicy, Role

URL_SCHEMES = ("turn:", "turns:", "stun:")


def turn_credentials(secret: bytes, user: str, expires_at: int) -> tuple[str, str]:
    """The TURN REST scheme's username and password for ``user`` until ``expires_at``.

    Returns:
        ``("<expires_at>:<user>", base64(HMAC-SHA1(secret, username)))``.
    """
    username = f"{expires_at}:{user}"
    digest = hmac.new(secret, username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class IceServers:
    """What each side of a browser share is told: the TURN server and fresh credentials.

    Without a TURN URL the browsers get no ICE server and meet directly,
    when their networks allow it.
    """

    urls: tuple[str, ...] = ()
    secret: bytes = b""
    ttl_seconds: int = 43200
    policy: IcePolicy = IcePolicy.ALL
    clock: Callable[[], float] = field(default=time.time, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> IceServers:
        """Reads the TURN settings: URLs, secret, credentials' life, and the ICE policy.

        Raises:
            ValueError: a sentence naming the setting that does not fit.
        """
        urls = tuple(url.strip() for url in settings.turn_url.split(",") if url.strip())
        for url in urls:
            if not url.startswith(URL_SCHEMES):
                raise ValueError(
                    f"--turn-url {url!r} must start with turn:, turns: or stun:, "
                    "like turn:turn.example.org:3478")
        if urls and not settings.turn_secret:
            raise ValueError("--turn-url needs --turn-secret, the static-auth-secret of coturn.")
        try:
            policy = IcePolicy(settings.ice_transport_policy)
        except ValueError:
            raise ValueError(
                f"--ice-transport-policy must be all or relay, not "
                f"{settings.ice_transport_policy!r}.") from None
        if policy is IcePolicy.RELAY and not urls:
            raise ValueError("--ice-transport-policy relay needs a TURN server (--turn-url).")
        if settings.turn_ttl_seconds <= 0:
            raise ValueError("--turn-ttl-seconds must be a positive number of seconds.")
        return cls(urls, settings.turn_secret.encode(), settings.turn_ttl_seconds, policy)

    def config(self, session_id: str, role: Role) -> m.RtcConfig:
        """The ``rtc_config`` for one side of one session, with credentials minted now.

        The TURN username names the session and the side, so that coturn's
        log ties each allocation to a session.
        """
        if not self.urls:
            return m.RtcConfig([], self.policy)
        expires_at = int(self.clock()) + self.ttl_seconds
        username, password = turn_credentials(self.secret, f"{session_id}-{role}", expires_at)
        server = {"urls": list(self.urls), "username": username, "credential": password}
        return m.RtcConfig([server], self.policy)
