"""Fixtures of the window tests: virtual screens of the sizes people have."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.agent.ui.screens import Screens


@pytest.fixture(scope="session")
def screens() -> Iterator[Screens]:
    """Starts a virtual screen of a given size on first use; all stop with the session."""
    started = Screens()
    yield started
    started.stop()
