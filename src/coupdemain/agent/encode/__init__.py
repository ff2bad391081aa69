"""Encoders: one per ``protocol.encodings.Encoding``, and the chooser between them."""

from __future__ import annotations

from .base import ENCODERS, Encoder

__all__ = ["ENCODERS", "Encoder"]
