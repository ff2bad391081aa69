from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import ServerProcess, serving


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A real server on a free loopback port, with technician alice (and admin root)."""
    with serving(tmp_path / "server") as process:
        yield process
