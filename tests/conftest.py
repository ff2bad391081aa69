from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import ServerProcess


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A real server on a free loopback port, with technician alice (and admin root)."""
    process = ServerProcess(tmp_path / "server")
    process.create_user("alice", "Alice Martin", "Entraide Numérique")
    process.start()
    try:
        yield process
    finally:
        process.stop()
