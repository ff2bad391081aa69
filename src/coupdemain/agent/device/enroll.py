"""``coupdemain agent enroll``: says what enrolling means, then registers this computer's key.

The server first tells what the token gives (organisation, policy) without
using it; the person confirms (``--yes`` for deployment jobs); then the
key pair is made here and only the public key is sent.
"""

from __future__ import annotations

import contextlib
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from ...i18n import Translator, catalog
from .identity import DeviceIdentity, Enrolment
from .inventory import describe

TIMEOUT_SECONDS = 20.0
YES = frozenset({"y", "yes", "o", "oui"})


class EnrolmentFailed(Exception):
    """The server refused, or could not be reached; the message is the sentence to show.

    Attributes:
        reason: the server's word for the refusal ("token_expired"...), "" if it gave none.
        params: the numbers the sentence names.
    """

    def __init__(self, sentence: str, reason: str = "", params: dict[str, Any] | None = None
                 ) -> None:
        super().__init__(sentence)
        self.reason = reason
        self.params = params or {}


def post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    """POSTs JSON; returns the answer's JSON.

    Raises:
        EnrolmentFailed: the server's refusal sentence, or why it was not reached.
    """
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            data: dict[str, Any] = json.loads(response.read())
            return data
    except urllib.error.HTTPError as exc:
        try:
            answer = json.loads(exc.read())
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        params = {k: v for k, v in answer.items() if k not in ("error", "reason")}
        raise EnrolmentFailed(str(answer.get("error") or exc.reason),
                              str(answer.get("reason") or ""), params) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise EnrolmentFailed(f"unreachable:{getattr(exc, 'reason', exc)}") from None


def enroll(
    server: str, token: str, identity: DeviceIdentity, t: Translator, *,
    yes: bool, ask: Callable[[str], str] = input,
    out: Callable[[str], None] = print,
) -> int:
    """Runs the enrolment; returns the exit code (0 enrolled, 1 refused or cancelled)."""
    server = server.rstrip("/")
    already = identity.enrolled()
    if already is not None:
        out(t("device.enroll.already", server=already.server, folder=identity.folder))
        return 1
    try:
        preview = post_json(f"{server}/api/devices/enrolment/preview", {"token": token})
    except EnrolmentFailed as exc:
        _say_failure(exc, server, t)
        return 1
    policy = str(preview.get("policy", "ask"))
    policy_text = t(f"device.policy.{'no_prompt' if policy == 'no_prompt' else 'ask'}",
                    seconds=preview.get("prompt_seconds", 60))
    out(t("device.enroll.means", name=preview.get("organisation", ""),
          policy=policy_text))
    if not yes:
        try:
            answer = ask(t("device.enroll.confirm"))
        except EOFError:
            answer = ""
        if answer.strip().lower() not in YES:
            out(t("device.enroll.cancelled"))
            return 1
    public_key = identity.make_key()
    try:
        done = post_json(f"{server}/api/devices/enrol",
                         {"token": token, "public_key": public_key, **describe()})
    except EnrolmentFailed as exc:
        identity.key_path.unlink(missing_ok=True)
        _say_failure(exc, server, t)
        return 1
    identity.save(Enrolment(server, str(done["device_id"]), str(done.get("organisation", "")),
                            str(done.get("policy", policy))))
    out(t("device.enroll.done", name=done.get("organisation", "")))
    return 0


def _say_failure(exc: EnrolmentFailed, server: str, t: Translator) -> None:
    text = str(exc)
    if text.startswith("unreachable:"):
        print(t("device.unreachable", server=server, detail=text.removeprefix("unreachable:")),
              file=sys.stderr)
        return
    # The server's word, said in this computer's language; else the server's own sentence.
    key = f"device.refusal.{exc.reason}"
    if exc.reason and key in catalog(t.domain, t.language):
        with contextlib.suppress(KeyError, IndexError, ValueError):  # a number it did not send
            text = t(key, **exc.params)
    print(t("device.refused", sentence=text), file=sys.stderr)
