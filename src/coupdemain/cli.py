"""The ``coupdemain`` command: serve, get-help, demo, admin."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from . import __version__, config, i18n
from .agent import command as get_help_command
from .i18n import SUPPORTED_LANGUAGES

ROLES = ("technician", "admin")  # the same as server.accounts.ROLES, without loading the server


if TYPE_CHECKING:  # the server's modules load only for the commands that use them
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from .server.store.models import User


def _server_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="Run the server (console, API, relay).")
    config.add_arguments(serve)
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .protocol.frames import MAX_FRAME_MESSAGE_BYTES
    from .server.app import create_app

    settings = config.load(args)
    _configure_logging(settings.log_level)
    if bool(settings.tls_cert) != bool(settings.tls_key):
        print("Give both --tls-cert and --tls-key, or neither.", file=sys.stderr)
        return 2
    if settings.agent_binary and not os.path.isfile(os.path.expanduser(settings.agent_binary)):
        print(f"--agent-binary {settings.agent_binary}: there is no such file. Build it with "
              "bash scripts/build-agent.sh (docs/howto/deploy.md).", file=sys.stderr)
        return 2
    from .server.turn import IceServers

    try:
        IceServers.from_settings(settings)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    app = create_app(settings, sign_in_hint=not args.no_sign_in_hint)
    print(f"coupdemain {__version__}: console at {settings.resolved_public_url}/", flush=True)
    # Every request on its own line would push the sign-in printed above off
    # the screen: at "info" the log has one line per session event (the
    # rendezvous writes them), and uvicorn's lines appear only at "debug".
    debug = settings.log_level.lower() == "debug"
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning" if settings.log_level.lower() == "info" else settings.log_level,
        access_log=debug,
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


def _demo(args: argparse.Namespace) -> int:
    from .demo.run import run_demo

    settings = config.load(args)
    # The demo must not leave its account in a real server's database: it
    # uses a database of its own unless one is named on the command line.
    own_data = args.data_dir is None and args.database_url is None
    if own_data:
        settings = settings.replace(data_dir="", database_url="")
    return run_demo(
        settings, open_session_count=args.sessions,
        language=args.language or i18n.system_language(), temporary_data=own_data,
    )


def _new_password(args: argparse.Namespace) -> str | None:
    """The password given by --password-stdin, the environment, --generate-password or a prompt.

    Returns None (after saying why) when the two typed passwords differ.
    """
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if args.generate_password:
        from .server import accounts

        return accounts.generate_password()
    if given := os.environ.get("COUPDEMAIN_NEW_PASSWORD"):
        return given
    password = getpass.getpass("Password: ")
    if getpass.getpass("The same password again: ") != password:
        print("The two passwords differ; nothing was changed.", file=sys.stderr)
        return None
    return password


def _run_admin(
    args: argparse.Namespace,
    action: Callable[[async_sessionmaker[AsyncSession]], Awaitable[int]],
    *,
    creates: bool = False,
) -> int:
    """Opens the server's database, runs one admin action on it, and closes it.

    An AccountError is the user's mistake: its sentence goes to standard
    error and the exit code is 1. Only create-user may make a new SQLite
    file: for the other actions a missing file means a wrong data folder.
    """
    from .server import accounts
    from .server.store.database import create_engine, migrate, session_factory, sqlite_path

    settings = config.load(args)
    path = sqlite_path(settings.resolved_database_url)
    if not creates and path is not None and not path.exists():
        print(f"There is no database at {path}. Give the server's data folder with "
              "--data-dir (or COUPDEMAIN_DATA_DIR).", file=sys.stderr)
        return 1

    async def run() -> int:
        engine = create_engine(settings.resolved_database_url)
        try:
            await migrate(engine)
            return await action(session_factory(engine))
        except accounts.AccountError as exc:
            print(exc, file=sys.stderr)
            return 1
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _create_user(args: argparse.Namespace) -> int:
    from .server import accounts

    password = _new_password(args)
    if password is None:
        return 1

    async def create(db: async_sessionmaker[AsyncSession]) -> int:
        user = await accounts.create_user(
            db, username=args.username, display_name=args.name,
            organisation=args.organisation, password=password, role=args.role,
        )
        print(f"Created {user.role} {user.username!r} ({user.display_name}, "
              f"{user.organisation.name}).")
        if args.generate_password:
            print(f"Password: {password}")
        return 0

    return _run_admin(args, create, creates=True)


def _list_users(args: argparse.Namespace) -> int:
    from .server import accounts

    async def show(db: async_sessionmaker[AsyncSession]) -> int:
        users = await accounts.list_users(db)
        if not users:
            print("No users yet. `coupdemain admin create-user` makes one.")
            return 0
        rows = [("USERNAME", "NAME", "ORGANISATION", "ROLE", "ENABLED", "LAST SIGN-IN")]
        for user in users:
            last = user.last_signed_in_at
            rows.append((
                user.username, user.display_name, user.organisation.name, user.role,
                "yes" if user.enabled else "no",
                last.astimezone().strftime("%Y-%m-%d %H:%M %Z") if last else "never",
            ))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            print("  ".join(cells).rstrip())
        return 0

    return _run_admin(args, show)


async def _admin_note(db: async_sessionmaker[AsyncSession], user: User) -> None:
    """Warns when a change left the user's organisation without an enabled admin."""
    from .server import accounts

    if await accounts.enabled_admins(db, user.organisation_id) == 0:
        print(f"Note: {user.organisation.name!r} has no enabled admin now; "
              "`coupdemain admin set-role USERNAME admin` makes one.")


def _set_enabled(args: argparse.Namespace) -> int:
    from .server import accounts

    enabled = args.admin_command == "enable"

    async def change(db: async_sessionmaker[AsyncSession]) -> int:
        user = await accounts.set_enabled(db, args.username, enabled)
        if enabled:
            print(f"Enabled {user.username!r} ({user.display_name}): they can sign in again.")
        else:
            print(f"Disabled {user.username!r} ({user.display_name}): they cannot sign in, "
                  "and their open console sign-ins have ended.")
            if user.role == "admin":
                await _admin_note(db, user)
        return 0

    return _run_admin(args, change)


def _reset_password(args: argparse.Namespace) -> int:
    from .server import accounts

    password = _new_password(args)
    if password is None:
        return 1

    async def change(db: async_sessionmaker[AsyncSession]) -> int:
        user = await accounts.set_password(db, args.username, password)
        print(f"New password for {user.username!r} ({user.display_name}); "
              "their open console sign-ins have ended.")
        if args.generate_password:
            print(f"Password: {password}")
        return 0

    return _run_admin(args, change)


def _rename_user(args: argparse.Namespace) -> int:
    from .server import accounts

    async def change(db: async_sessionmaker[AsyncSession]) -> int:
        user = await accounts.rename_user(db, args.username, args.name)
        print(f"{user.username!r} is now shown as {user.display_name!r}.")
        return 0

    return _run_admin(args, change)


def _set_role(args: argparse.Namespace) -> int:
    from .server import accounts

    async def change(db: async_sessionmaker[AsyncSession]) -> int:
        user = await accounts.set_role(db, args.username, args.role)
        print(f"{user.username!r} is now {'an admin' if user.role == 'admin' else 'a technician'}.")
        if user.role != "admin":
            await _admin_note(db, user)
        return 0

    return _run_admin(args, change)


def _rename_organisation(args: argparse.Namespace) -> int:
    from .server import accounts

    async def change(db: async_sessionmaker[AsyncSession]) -> int:
        org = await accounts.rename_organisation(db, args.old, args.new)
        print(f"The organisation {args.old.strip()!r} is now {org.name!r}: the people "
              "you help see this name from their next session.")
        return 0

    return _run_admin(args, change)


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


class HelpFormatter(argparse.HelpFormatter):
    """Adds "(default: …)" to each option that has a default worth saying.

    Unlike argparse's ArgumentDefaultsHelpFormatter, it stays quiet for
    switches (default False), for options without one (None), and for
    options whose help already tells it.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        help = action.help or ""
        default = action.default
        nothing = default is None or default is False or default == ""
        if (nothing or default == argparse.SUPPRESS or "default" in help
                or not action.option_strings):
            return help
        return f"{help} (default: %(default)s)"


def _add_new_password_arguments(parser: argparse.ArgumentParser) -> None:
    given = parser.add_mutually_exclusive_group()
    given.add_argument("--password-stdin", action="store_true",
                       help="Read the password from standard input "
                            "(without either option: COUPDEMAIN_NEW_PASSWORD, else a prompt).")
    given.add_argument("--generate-password", action="store_true",
                       help="Make up a password and print it once.")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coupdemain", formatter_class=HelpFormatter,
        description="Remote assistance: see and, with permission, control a computer.",
    )
    parser.add_argument("--version", action="version", version=f"coupdemain {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        parent: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str,
        description: str | None = None,
    ) -> argparse.ArgumentParser:
        return parent.add_parser(name, help=help, description=description or help,
                                 formatter_class=HelpFormatter)

    serve = command(sub, "serve", "Run the server (console, API, relay).")
    config.add_arguments(serve)
    serve.add_argument("--no-sign-in-hint", action="store_true",
                       help=argparse.SUPPRESS)  # the demo prints its own sign-in
    serve.set_defaults(handler=_serve)

    get_help = command(sub, "get-help", "On the assisted computer: join with a code.")
    get_help_command.add_arguments(get_help)
    get_help.set_defaults(handler=get_help_command.run)

    agent = command(sub, "agent",
                    "On a managed device: enrol it, install its service, run it.")
    from .agent.device import command as device_command

    device_command.add_arguments(agent)

    demo = command(
        sub, "demo", "Run the server, a virtual screen with an application, and an agent on it.",
        "Run the server, a virtual screen with an application, and an agent on it. "
        "The demo keeps its data in a temporary folder that it deletes when it stops, "
        "unless --data-dir or --database-url is given on the command line.",
    )
    config.add_arguments(demo)
    demo.add_argument("--sessions", type=int, default=0,
                      help="Stop after this many demo sessions (0: run until Ctrl+C).")
    demo.add_argument("--language", choices=SUPPORTED_LANGUAGES,
                      help="Language of the demo's agent and of the console address it prints "
                           "(default: the system's, from LC_ALL, LC_MESSAGES or LANG).")
    demo.set_defaults(handler=_demo)

    admin = command(sub, "admin", "Administration: users, organisations, audit log.")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")

    def admin_action(name: str, help: str, handler: Callable[[argparse.Namespace], int],
                     with_username: bool = True) -> argparse.ArgumentParser:
        action = command(admin_sub, name, help)
        if with_username:
            action.add_argument("username", metavar="USERNAME", help="The user's sign-in name.")
        action.set_defaults(handler=handler)
        return action

    create = admin_action("create-user", "Create a technician or an admin.", _create_user,
                          with_username=False)
    create.add_argument("--username", required=True, help="Sign-in name (stored lower-case).")
    create.add_argument("--name", required=True,
                        help="Display name, shown to the person being helped.")
    create.add_argument("--organisation", required=True,
                        help="Organisation, shown to the person being helped; created if new.")
    create.add_argument("--role", choices=ROLES, default="technician",
                        help="An admin also sees every session of their organisation.")
    _add_new_password_arguments(create)
    admin_action("list", "List the users: name, organisation, role, enabled, last sign-in.",
                 _list_users, with_username=False)
    admin_action("disable", "Stop a user from signing in; their open sign-ins end at once.",
                 _set_enabled)
    admin_action("enable", "Let a disabled user sign in again.", _set_enabled)
    reset = admin_action("reset-password", "Give a user a new password; their open sign-ins end.",
                         _reset_password)
    _add_new_password_arguments(reset)
    rename = admin_action("rename", "Change the name the person being helped sees.", _rename_user)
    rename.add_argument("name", metavar="NAME", help="The new display name.")
    role = admin_action("set-role", "Make a user an admin or a technician.", _set_role)
    role.add_argument("role", metavar="ROLE", choices=ROLES, help="admin or technician.")
    organisation = admin_action(
        "rename-organisation", "Change an organisation's name, which the people helped see.",
        _rename_organisation, with_username=False,
    )
    organisation.add_argument("old", metavar="OLD", help="Its name now.")
    organisation.add_argument("new", metavar="NEW", help="Its new name.")
    admin_action("verify-audit", "Check that the audit log is untouched.", _verify_audit,
                 with_username=False)
    for action in admin_sub.choices.values():
        config.add_arguments(action, only=("data_dir", "database_url"))
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
