"""Input injection: the technician's keys and pointer, once the person allowed control."""

from __future__ import annotations

from .base import InputSink

__all__ = ["InputSink"]
