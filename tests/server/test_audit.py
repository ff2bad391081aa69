"""The audit log's hash: stable for every string, and no crash on one no UTF-8 can hold."""

from __future__ import annotations

import hashlib
import json

from coupdemain.server.audit import GENESIS, event_hash


def test_the_hash_of_ordinary_text_is_plain_utf8() -> None:
    # What every stored chain was hashed with: it must not change.
    at, detail = "2026-01-01T00:00:00+00:00", {"text": "Où est l'été ? 😀"}
    fields = [GENESIS, "s1", at, "person", "Émile", "chat_message", detail]
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert event_hash(GENESIS, "s1", at, "person", "Émile", "chat_message", detail) == (
        hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    )


def test_a_lone_surrogate_is_hashed_not_a_crash() -> None:
    one = event_hash(GENESIS, "s1", "t", "person", "p", "chat_message", {"text": "\ud800"})
    other = event_hash(GENESIS, "s1", "t", "person", "p", "chat_message", {"text": "\udc00"})
    assert len(one) == 64 and one != other
