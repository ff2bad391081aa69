"""Remote diagnostics: what the agent reads of the computer, once the person allowed it.

``collect`` reads the sections (system, network, startup, processes),
``findings`` draws the findings from them, and ``read_report`` runs both
in a thread, bounded in time, and returns a ``DiagnosticsReport`` small
enough for one control message.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ...protocol import messages as m
from .collect import DEADLINE_SECONDS, Context, collect
from .findings import INFO, find, finding

logger = logging.getLogger("coupdemain.agent.diagnostics")

# Past the collection's own deadline: a reader stuck in a system call.
TIMEOUT_SECONDS = DEADLINE_SECONDS + 7
# Room left under MAX_CONTROL_MESSAGE_BYTES for the server's re-serialization.
MAX_REPORT_BYTES = m.MAX_CONTROL_MESSAGE_BYTES - 8 * 1024

__all__ = ["Context", "build_report", "read_report"]


def build_report(context: Context | None = None) -> m.DiagnosticsReport:
    """Reads the computer and draws the findings (blocking; see ``read_report``)."""
    sections = collect(context)
    return fit(m.DiagnosticsReport(sections, find(sections)))


async def read_report(context: Context | None = None) -> m.DiagnosticsReport:
    """``build_report`` off the event loop, within ``TIMEOUT_SECONDS``.

    Returns:
        The report; one without sections and with a ``diagnostics_timed_out``
        finding if the reading took too long.
    """
    try:
        return await asyncio.wait_for(asyncio.to_thread(build_report, context), TIMEOUT_SECONDS)
    except TimeoutError:
        logger.warning("reading the computer's settings took over %s s", TIMEOUT_SECONDS)
        return m.DiagnosticsReport({}, [finding(INFO, "diagnostics_timed_out")])


def fit(report: m.DiagnosticsReport, limit: int = MAX_REPORT_BYTES) -> m.DiagnosticsReport:
    """Shortens the longest lists of the sections until the message fits in ``limit`` bytes.

    The findings are kept whole: they are the point of the report.
    """
    sections: dict[str, Any] = report.sections
    for _ in range(200):  # each round halves a list; a few dozen rounds empty them all
        if len(m.serialize(report).encode()) <= limit:
            return report
        longest = max(_lists(sections), key=len, default=None)
        if not longest:
            break
        del longest[len(longest) // 2:]
    return m.DiagnosticsReport({}, report.findings)


def _lists(value: Any) -> list[list[Any]]:
    """Every list inside the sections, nested ones included."""
    found: list[list[Any]] = []
    if isinstance(value, dict):
        for item in value.values():
            found.extend(_lists(item))
    elif isinstance(value, list):
        found.append(value)
        for item in value:
            found.extend(_lists(item))
    return found
