from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.app import InProcessServer, in_process_server


@pytest.fixture
def app(tmp_path: Path) -> Iterator[InProcessServer]:
    """The real application in this process (no port), with alice, bob, root and other."""
    with in_process_server(tmp_path / "data") as server:
        yield server
