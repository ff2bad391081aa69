"""The single-file agent's entry point: ``coupdemain get-help`` and ``coupdemain agent``.

``scripts/build-agent.sh`` freezes this module with PyInstaller into one
file that holds Python, Tk and the agent's libraries, and none of the
server's. The server appends its own address to the file it serves
(``protocol/agent_file.py``), so the person double-clicks it and types
only the code; it then adds itself to the applications menu (launcher.py).

The same file serves managed devices: ``coupdemain-help agent enroll|
install-service|run`` are ``coupdemain agent``'s commands, and a file an
admin downloaded with an enrolment token in its trailer sets the device up
when run (``agent/device/setup.py``) instead of asking for a code.

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
from coupdemain.protocol.agent_file import AgentFileConfig, read_config


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


def device_main(argv: Sequence[str]) -> int:
    """``coupdemain-help agent …``: the managed device's commands."""
    from coupdemain.agent.device import command as device

    parser = argparse.ArgumentParser(prog="coupdemain-help agent",
                                     description="A managed device's service.")
    device.add_arguments(parser)
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


def setup_main(argv: Sequence[str], embedded: AgentFileConfig, executable: Path) -> int:
    """A file with an enrolment token: enrol this computer and install its service."""
    from coupdemain.agent.device.setup import setup

    parser = argparse.ArgumentParser(
        prog="coupdemain-agent",
        description=f"Enrol this computer in its organisation on {embedded.server}, "
                    "then run the service that lets its technicians help.")
    parser.add_argument("--version", action="version", version=f"coupdemain {__version__}")
    parser.add_argument("--yes", action="store_true",
                        help="Do not ask to confirm (deployment jobs).")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--system", action="store_true", default=None,
                       help="A system service (the default as root).")
    scope.add_argument("--user", dest="system", action="store_false",
                       help="A user service (the default otherwise).")
    parser.add_argument("--display", default="", help="The X display the agent shows on.")
    parser.add_argument("--account", default="",
                        help="As root: the user whose session the service joins (a kiosk).")
    parser.add_argument("--lang", default=os.environ.get("COUPDEMAIN_LANG"),
                        help="Language: en or fr (default: the system's).")
    args = parser.parse_args(argv)
    t = Translator("agent", normalize(args.lang) if args.lang else system_language())
    return setup(embedded, executable, t, yes=args.yes, system=args.system,
                 display=args.display, account=args.account)


def main(argv: Sequence[str] | None = None, executable: Path | None = None) -> int:
    """Runs the agent; the server's address is the one written into its file, unless given.

    Args:
        argv: the arguments (default: the command line's).
        executable: the file whose trailer to read (default: this executable, when frozen).
    """
    executable = executable or own_file()
    embedded = read_config(executable) if executable else None
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["agent"]:
        return device_main(argv[1:])
    if embedded is not None and embedded.enrolment_token and executable is not None:
        return setup_main(argv, embedded, executable)
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
