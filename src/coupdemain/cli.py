"""The ``coupdemain`` command: serve, get-help, demo, admin."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Sequence

from . import __version__, config


def _server_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="Run the server (console, API, relay).")
    config.add_arguments(serve)
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .protocol.messages import MAX_FRAME_MESSAGE_BYTES
    from .server.app import create_app

    settings = config.load(args)
    _configure_logging(settings.log_level)
    if bool(settings.tls_cert) != bool(settings.tls_key):
        print("Give both --tls-cert and --tls-key, or neither.", file=sys.stderr)
        return 2
    app = create_app(settings)
    print(f"coupdemain {__version__}: console at {settings.resolved_public_url}/", flush=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        ssl_certfile=settings.tls_cert or None,
        ssl_keyfile=settings.tls_key or None,
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
        ws_max_size=MAX_FRAME_MESSAGE_BYTES,
        # Pings every 5 s let each side learn of a silent drop within seconds.
        ws_ping_interval=5.0,
        ws_ping_timeout=5.0,
        # Frames are PNG, JPEG or H.264 already, yet per-message deflate
        # (with its shared window) makes typing's small frames 4.5 times
        # smaller: their PNG headers repeat from one message to the next.
        # Its CPU cost per video frame was not measurable.
        ws_per_message_deflate=True,
    )
    return 0


def _get_help(args: argparse.Namespace) -> int:
    from .agent.app import run_get_help

    return run_get_help(
        server_url=args.server,
        code=args.code,
        language=args.lang,
        allow_insecure_http=args.allow_insecure_http,
        assume_consent=args.assume_consent,
        reconnect_seconds=args.reconnect_seconds,
    )


def _demo(args: argparse.Namespace) -> int:
    from .demo.run import run_demo

    settings = config.load(args)
    return run_demo(settings, open_session_count=args.sessions)


def _create_user(args: argparse.Namespace) -> int:
    from .server import accounts
    from .server.store.database import create_engine, migrate, session_factory

    settings = config.load(args)
    password = os.environ.get("COUPDEMAIN_NEW_PASSWORD") or ""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif not password:
        generated = args.generate_password
        password = accounts.generate_password() if generated else getpass.getpass("Password: ")

    async def create() -> int:
        engine = create_engine(settings.resolved_database_url)
        try:
            await migrate(engine)
            user = await accounts.create_user(
                session_factory(engine), username=args.username, display_name=args.name,
                organisation=args.organisation, password=password, role=args.role,
            )
        except accounts.AccountError as exc:
            print(exc, file=sys.stderr)
            return 1
        finally:
            await engine.dispose()
        print(f"Created {user.role} {user.username!r} ({user.display_name}, {args.organisation}).")
        if args.generate_password:
            print(f"Password: {password}")
        return 0

    return asyncio.run(create())


def _verify_audit(args: argparse.Namespace) -> int:
    from .server.audit import verify_chain
    from .server.store.database import create_engine, migrate, session_factory

    settings = config.load(args)

    async def verify() -> int:
        engine = create_engine(settings.resolved_database_url)
        try:
            await migrate(engine)
            problems = await verify_chain(session_factory(engine))
        finally:
            await engine.dispose()
        for problem in problems:
            print(f"event {problem.event_id} {problem.problem}")
        print("The audit log is intact." if not problems else "The audit log was tampered with.")
        return 0 if not problems else 1

    return asyncio.run(verify())


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coupdemain",
        description="Remote assistance: see and, with permission, control a computer.",
    )
    parser.add_argument("--version", action="version", version=f"coupdemain {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _server_parser(sub)

    get_help = sub.add_parser("get-help", help="On the assisted computer: join with a code.")
    get_help.add_argument("--server", default=os.environ.get("COUPDEMAIN_SERVER"),
                          required="COUPDEMAIN_SERVER" not in os.environ,
                          help="The server's address, e.g. https://help.example.org "
                               "[env COUPDEMAIN_SERVER]")
    get_help.add_argument("--code", default=os.environ.get("COUPDEMAIN_CODE"),
                          help="The 9-digit code; asked in a window if not given "
                               "[env COUPDEMAIN_CODE]")
    get_help.add_argument("--lang", default=os.environ.get("COUPDEMAIN_LANG"),
                          help="Language of the windows: en or fr (default: the system's) "
                               "[env COUPDEMAIN_LANG]")
    get_help.add_argument("--allow-insecure-http", action="store_true",
                          default=os.environ.get("COUPDEMAIN_ALLOW_INSECURE_HTTP") == "1",
                          help="Accept a plain-HTTP server that is not on this computer "
                               "[env COUPDEMAIN_ALLOW_INSECURE_HTTP=1]")
    get_help.add_argument("--reconnect-seconds", type=float, metavar="S",
                          default=os.environ.get("COUPDEMAIN_RECONNECT_SECONDS", "60"),
                          help="After the connection drops, how long to try to resume the "
                               "session before it ends (default: 60) "
                               "[env COUPDEMAIN_RECONNECT_SECONDS]")
    get_help.add_argument("--assume-consent", action="store_true",
                          help=argparse.SUPPRESS)  # the demo's own agent only
    get_help.set_defaults(handler=_get_help)

    demo = sub.add_parser(
        "demo", help="Run the server, a virtual screen with an application, and an agent on it."
    )
    config.add_arguments(demo)
    demo.add_argument("--sessions", type=int, default=0,
                      help="Stop after this many demo sessions (default: run until Ctrl+C).")
    demo.set_defaults(handler=_demo)

    admin = sub.add_parser("admin", help="Administration: users, audit log.")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    create = admin_sub.add_parser("create-user", help="Create a technician or an admin.")
    create.add_argument("--username", required=True)
    create.add_argument("--name", required=True, help="Display name the person sees.")
    create.add_argument("--organisation", required=True, help="Organisation the person sees.")
    create.add_argument("--role", choices=("technician", "admin"), default="technician")
    create.add_argument("--password-stdin", action="store_true",
                        help="Read the password from standard input "
                             "(else COUPDEMAIN_NEW_PASSWORD, else a prompt).")
    create.add_argument("--generate-password", action="store_true",
                        help="Make up a password and print it.")
    config.add_arguments(create)
    create.set_defaults(handler=_create_user)
    verify = admin_sub.add_parser("verify-audit", help="Check that the audit log is untouched.")
    config.add_arguments(verify)
    verify.set_defaults(handler=_verify_audit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return 130
    except ValueError as exc:  # a setting that does not parse
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
