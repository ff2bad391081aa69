"""The ``coupdemain agent`` subcommands: enroll, install-service, run."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from ...i18n import Translator, normalize, system_language
from .identity import DeviceIdentity, default_folder


def add_arguments(agent: argparse.ArgumentParser) -> None:
    """Adds enroll, install-service and run under ``coupdemain agent``."""
    sub = agent.add_subparsers(dest="agent_command", required=True, metavar="ACTION")

    def action(name: str, help: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help, description=help,
                                formatter_class=agent.formatter_class)
        parser.add_argument("--config-dir", type=Path, default=None,
                            help="The device's folder: its key and enrolment (default: "
                                 "/etc/coupdemain/device for root, else "
                                 "$XDG_CONFIG_HOME/coupdemain/device) "
                                 "[env COUPDEMAIN_DEVICE_DIR]")
        parser.add_argument("--lang", default=os.environ.get("COUPDEMAIN_LANG"),
                            help="Language: en or fr (default: the system's) "
                                 "[env COUPDEMAIN_LANG]")
        return parser

    enroll = action("enroll", "Enrol this computer with an enrolment token from the console.")
    enroll.add_argument("--server", required=True,
                        help="The server's address, e.g. https://help.example.org")
    enroll.add_argument("--token", default=os.environ.get("COUPDEMAIN_ENROLMENT_TOKEN"),
                        required=os.environ.get("COUPDEMAIN_ENROLMENT_TOKEN") is None,
                        help="The enrolment token [env COUPDEMAIN_ENROLMENT_TOKEN]")
    enroll.add_argument("--yes", action="store_true",
                        help="Do not ask to confirm (deployment jobs).")
    enroll.set_defaults(handler=_enroll)

    install = action("install-service",
                     "Write and enable the systemd unit that runs the device's service.")
    scope = install.add_mutually_exclusive_group()
    scope.add_argument("--user", action="store_true",
                       help="A user service, that sees the user's display (the default).")
    scope.add_argument("--system", action="store_true", help="A system service (as root).")
    install.add_argument("--display", default=os.environ.get("DISPLAY") or ":0",
                         help="The X display the agent shows its windows on.")
    install.add_argument("--root", type=Path, default=None,
                         help="Write and enable under this folder instead of / "
                              "(a disk image being prepared).")
    install.add_argument("--program", default=None,
                         help="What the unit runs, as it will be on the computer (default: "
                              "this agent); a package's post-install names its own copy.")
    install.add_argument("--account", default="",
                         help="A system service's user, whose display it joins (a kiosk).")
    install.set_defaults(handler=_install)

    run = action("run", "Run the device's service in the foreground (what the unit runs).")
    run.add_argument("--allow-insecure-http", action="store_true",
                     default=os.environ.get("COUPDEMAIN_ALLOW_INSECURE_HTTP") == "1",
                     help="Accept a plain-HTTP server that is not on this computer.")
    run.add_argument("--reconnect-max-seconds", type=float, default=60.0,
                     help="The longest wait between two attempts to connect.")
    run.add_argument("--protocol-version", type=int, default=None, help=argparse.SUPPRESS)
    run.add_argument("--no-help-button", action="store_true",
                     help="Show no Ask for help window (a kiosk with nobody at it).")
    run.set_defaults(handler=_run)


def _identity(args: argparse.Namespace) -> DeviceIdentity:
    return DeviceIdentity(args.config_dir or default_folder())


def _translator(args: argparse.Namespace) -> Translator:
    return Translator("agent", normalize(args.lang) if args.lang else system_language())


def _enroll(args: argparse.Namespace) -> int:
    from .enroll import enroll

    return enroll(args.server, args.token, _identity(args), _translator(args), yes=args.yes)


def _install(args: argparse.Namespace) -> int:
    from .unit import install

    folder = (args.config_dir or default_folder()).resolve()
    return install(user=not args.system, config_dir=folder, display=args.display, root=args.root,
                   program=[args.program] if args.program else None, account=args.account)


def _run(args: argparse.Namespace) -> int:
    from ...protocol.device import DEVICE_PROTOCOL_VERSION
    from .service import run_service

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return run_service(
        _identity(args), _translator(args), language=args.lang,
        allow_insecure_http=args.allow_insecure_http,
        reconnect_max=args.reconnect_max_seconds,
        protocol=args.protocol_version or DEVICE_PROTOCOL_VERSION,
        help_button=not args.no_help_button,
    )
