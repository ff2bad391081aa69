"""The organisations an agent under test has met before: no warning against scams.

Most tests are about what happens after the consent question; they run as
a person whose computer met the test organisations already. The tests of
the warning start an agent with nothing met.
"""

from __future__ import annotations

from pathlib import Path

from coupdemain.agent.known import FILE_NAME, KnownOrganisations

# The organisations the tests' servers create, on the loopback address they use.
TEST_ORGANISATIONS = ("Entraide Numérique", "Entraide", "Other Org")


def config_home(folder: Path, *organisations: str, server: str = "127.0.0.1") -> Path:
    """A fresh ``XDG_CONFIG_HOME`` in which the agent met ``organisations`` on ``server``."""
    folder.mkdir(parents=True, exist_ok=True)
    known = KnownOrganisations(folder / "coupdemain" / FILE_NAME)
    for organisation in organisations:
        known.remember(server, organisation)
    return folder
