"""Encoders: one per ``protocol.encodings.Encoding``, and the chooser between them."""

from __future__ import annotations

from .base import ENCODERS, STREAM_ENCODERS, Encoder, StreamEncoder

__all__ = ["ENCODERS", "STREAM_ENCODERS", "Encoder", "StreamEncoder"]
