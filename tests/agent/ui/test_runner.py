"""The agent's windows wake when the connection posts an event, and sleep otherwise."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from coupdemain.agent.ui import events as ev
from coupdemain.agent.ui.runner import AgentUi
from coupdemain.agent.ui.trace import UiTrace
from coupdemain.i18n import Translator


@pytest.fixture
def ui(x_display: str) -> Iterator[AgentUi]:
    windows = AgentUi(Translator("agent", "en"), lambda action: None, trace=UiTrace(None))
    yield windows
    windows.destroy()
    del windows
    # Tk must be freed by the thread that made it (see test_transfer.py).
    gc.collect()


def queue_timers(ui: AgentUi) -> list[str]:
    """The pending Tk timers that would read the event queue (tkinter names a
    callback's Tcl command after its Python name)."""
    scripts = [str(ui.root.tk.splitlist(ui.root.tk.call("after", "info", ident))[0])
               for ident in ui.root.tk.splitlist(ui.root.tk.call("after", "info"))]
    return [script for script in scripts if "_poll" in script or "_handle_queued" in script]


def test_an_event_posted_from_another_thread_wakes_the_windows(ui: AgentUi) -> None:
    seen: list[str] = []

    def check_then_quit() -> None:
        # Nothing runs between events: no timer polls the queue.
        seen.append("idle" if not queue_timers(ui) else f"timers {queue_timers(ui)}")
        threading.Thread(target=ui.post, args=(ev.Quit(exit_code=3),)).start()

    ui.root.after(300, check_then_quit)
    # The safety net: the test fails rather than hangs if the wake-up is lost.
    ui.root.after(10_000, ui.root.quit)
    assert ui.run() == 3
    assert seen == ["idle"]


def test_events_posted_before_tk_runs_are_shown(ui: AgentUi) -> None:
    ui.post(ev.Quit(exit_code=5))
    ui.root.after(10_000, ui.root.quit)
    assert ui.run() == 5
