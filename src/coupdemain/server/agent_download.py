"""The single-file agent this server hands out, with the server's own address at its end;
and, for managed devices, the same file with an enrolment token, and the Debian package.

The file comes from ``--agent-binary`` (built by ``scripts/build-agent.sh``),
else ``coupdemain-help`` in the data folder if it is there. Each download
is that file followed by a trailer naming the address the person reached
(``protocol/agent_file.py``), so the agent connects here without being
told. The join page shows the SHA-256 of those exact bytes, worked out once
per file and address (about 0.15 s for 60 MB) and kept until the file
changes.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..protocol.agent_file import AgentFileConfig, trailer

FILE_NAME = "coupdemain-help"
DEVICE_FILE_NAME = "coupdemain-agent"      # the same file, pre-configured to enrol a device
PACKAGE_NAME = "coupdemain-agent.deb"
CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class AgentDownload:
    """One address's download: the file, the trailer, and what the page says of them."""

    path: Path
    trailer: bytes
    size: int      # in bytes, trailer included
    sha256: str    # hex digest of the bytes served

    @property
    def megabytes(self) -> int:
        return max(1, round(self.size / 1_000_000))

    def chunks(self) -> Iterator[bytes]:
        """The bytes served: the file, then the trailer."""
        with self.path.open("rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk
        yield self.trailer


class AgentBinary:
    """Where the agent's executable is, and its downloads per server address."""

    def __init__(self, settings: Settings) -> None:
        self.given = Path(settings.agent_binary).expanduser() if settings.agent_binary else None
        self.default = settings.resolved_data_dir / FILE_NAME
        self.given_package = (Path(settings.agent_package).expanduser()
                              if settings.agent_package else None)
        self.default_package = settings.resolved_data_dir / PACKAGE_NAME
        self._cache: dict[tuple[str, str, int, int], AgentDownload] = {}

    def path(self) -> Path | None:
        """The executable to serve, or None when this server has none."""
        path = self.given or self.default
        return path if path.is_file() else None

    def package(self) -> Path | None:
        """The agent's Debian package for deployment tools, or None when this server has none."""
        path = self.given_package or self.default_package
        return path if path.is_file() else None

    def preconfigured(self, server: str, enrolment_token: str) -> AgentDownload | None:
        """The file that enrols a managed device with this token (agent/device/setup.py).

        Not kept, and without a SHA-256 to show: each token makes its own file,
        downloaded once by the admin who made the token.
        """
        path = self.path()
        if path is None:
            return None
        tail = trailer(AgentFileConfig(server=server, enrolment_token=enrolment_token))
        return AgentDownload(path, tail, path.stat().st_size + len(tail), "")

    async def download(self, server: str) -> AgentDownload | None:
        """The download that connects to ``server``, or None without an executable."""
        path = self.path()
        if path is None:
            return None
        stat = path.stat()
        key = (str(path), server, stat.st_mtime_ns, stat.st_size)
        if key not in self._cache:
            tail = trailer(AgentFileConfig(server=server))
            digest = await asyncio.to_thread(_sha256, path, tail)
            if len(self._cache) >= 8:  # a file replaced, or many addresses: start over
                self._cache.clear()
            self._cache[key] = AgentDownload(path, tail, stat.st_size + len(tail), digest)
        return self._cache[key]


def _sha256(path: Path, tail: bytes) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    digest.update(tail)
    return digest.hexdigest()
