"""The options of ``coupdemain get-help``, shared with the single-file agent (standalone.py)."""

from __future__ import annotations

import argparse
import os


def add_arguments(parser: argparse.ArgumentParser, server: str | None = None) -> None:
    """Adds get-help's options to ``parser``.

    Args:
        parser: the parser of ``coupdemain get-help`` or of the single-file agent.
        server: the address the agent already knows (written into the
            downloaded file), used when neither --server nor COUPDEMAIN_SERVER
            gives one; without it, --server is required.
    """
    server = os.environ.get("COUPDEMAIN_SERVER") or server
    parser.add_argument("--server", default=server, required=server is None,
                        help="The server's address, e.g. https://help.example.org "
                             "[env COUPDEMAIN_SERVER]")
    parser.add_argument("--code", default=os.environ.get("COUPDEMAIN_CODE"),
                        help="The 9-digit code; asked in a window if not given "
                             "[env COUPDEMAIN_CODE]")
    parser.add_argument("--lang", default=os.environ.get("COUPDEMAIN_LANG"),
                        help="Language of the windows: en or fr (default: the system's) "
                             "[env COUPDEMAIN_LANG]")
    parser.add_argument("--allow-insecure-http", action="store_true",
                        default=os.environ.get("COUPDEMAIN_ALLOW_INSECURE_HTTP") == "1",
                        help="Accept a plain-HTTP server that is not on this computer "
                             "[env COUPDEMAIN_ALLOW_INSECURE_HTTP=1]")
    parser.add_argument("--reconnect-seconds", type=float, metavar="S",
                        default=os.environ.get("COUPDEMAIN_RECONNECT_SECONDS", "60"),
                        help="After the connection drops, how long to try to resume the "
                             "session before it ends (default: 60) "
                             "[env COUPDEMAIN_RECONNECT_SECONDS]")
    parser.add_argument("--assume-consent", action="store_true",
                        help=argparse.SUPPRESS)  # the demo's own agent only
    # A managed device's service starts the agent with its policy (agent/device/service.py).
    parser.add_argument("--unattended", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--consent-timeout", type=float, default=None, help=argparse.SUPPRESS)
    # The person asked for help (a help request taken): viewing is allowed already.
    parser.add_argument("--view-accepted", action="store_true", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    """Runs the agent with the parsed options; returns its exit code (app.run_get_help)."""
    from .app import run_get_help

    return run_get_help(
        server_url=args.server,
        code=args.code,
        language=args.lang,
        allow_insecure_http=args.allow_insecure_http,
        assume_consent=args.assume_consent,
        reconnect_seconds=args.reconnect_seconds,
        unattended=args.unattended,
        consent_timeout=args.consent_timeout,
        view_accepted=args.view_accepted,
    )
