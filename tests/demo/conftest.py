"""The demo tests share the agent tests' virtual screen and notes application."""

from __future__ import annotations

from tests.agent.conftest import notes, xvfb

__all__ = ["notes", "xvfb"]
