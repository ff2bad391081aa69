"""The single-file agent's entry point: ``coupdemain get-help`` alone, as one executable.

``scripts/build-agent.sh`` freezes this module with PyInstaller into one
file that holds Python, Tk and the agent's libraries, and none of the
server's. The server appends its own address to the file it serves
(``protocol/agent_file.py``), so the person double-clicks it and types
only the code; it then adds itself to the applications menu (launcher.py).

It imports absolutely: PyInstaller runs it as a script, outside its package.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from coupdemain import __version__
from coupdemain.agent import command, launcher
from coupdemain.agent.connection import InsecureServer, websocket_url
from coupdemain.i18n import Translator, normalize, system_language
from coupdemain.protocol.agent_file import read_config


def own_file() -> Path | None:
    """The executable this agent runs from, when frozen by PyInstaller; else None."""
    return Path(sys.executable) if getattr(sys, "frozen", False) else None


def address_problem(args: argparse.Namespace) -> str | None:
    """The sentence that says why the agent will not use this server address, or None."""
    t = Translator("agent", normalize(args.lang) if args.lang else system_language())
    try:
        websocket_url(args.server, args.allow_insecure_http)
    except InsecureServer:
        return t("error.insecure_http", server=args.server)
    except ValueError:
        return t("error.bad_server", server=args.server)
    return None


def show_problem(sentence: str) -> None:
    """Says ``sentence`` in a window: a double-clicked file has no terminal to print to."""
    print(sentence, file=sys.stderr)
    if sys.stderr.isatty() or not os.environ.get("DISPLAY"):
        return
    import tkinter as tk
    from tkinter import messagebox

    try:
        root = tk.Tk()
    except tk.TclError:
        return
    root.withdraw()
    messagebox.showerror("coupdemain", sentence, parent=root)
    root.destroy()


def main(argv: Sequence[str] | None = None, executable: Path | None = None) -> int:
    """Runs the agent; the server's address is the one written into its file, unless given.

    Args:
        argv: the arguments (default: the command line's).
        executable: the file whose trailer to read (default: this executable, when frozen).
    """
    executable = executable or own_file()
    embedded = read_config(executable) if executable else None
    parser = argparse.ArgumentParser(
        prog="coupdemain-help",
        description="Get help from your technician: share this computer's screen "
                    "after you type the code they give you.",
    )
    parser.add_argument("--version", action="version", version=f"coupdemain {__version__}")
    command.add_arguments(parser, server=embedded.server if embedded else None)
    args = parser.parse_args(argv)
    problem = address_problem(args)
    if problem is not None:
        show_problem(problem)
        return 2
    if embedded is not None and executable is not None:
        launcher.install(executable)  # next time, "Get help" is in the applications menu
    return command.run(args)


if __name__ == "__main__":
    sys.exit(main())
