"""The LICENSE file is the licence pyproject.toml declares, word for word."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_license_is_the_agpl_that_pyproject_declares() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    text = (ROOT / "LICENSE").read_bytes()
    assert declared == "AGPL-3.0-or-later"
    assert text.splitlines()[:2] == [
        b"                    GNU AFFERO GENERAL PUBLIC LICENSE",
        b"                       Version 3, 19 November 2007",
    ]
    assert len(text.splitlines()) == 661
    # The FSF's agpl-3.0.txt (the copy in Debian's ruby-licensee 9.15.2-4 package,
    # vendor/choosealicense.com/_licenses/agpl-3.0.txt, after its front matter).
    assert hashlib.sha256(text).hexdigest() == (
        "8486a10c4393cee1c25392769ddd3b2d6c242d6ec7928e1414efff7dfb2f07ef"
    )
