"""Screen capture: one ``ScreenSource`` per platform, and a fake for tests."""

from __future__ import annotations

from .base import CapturedFrame, ScreenSource

__all__ = ["CapturedFrame", "ScreenSource"]
