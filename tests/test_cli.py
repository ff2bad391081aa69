"""``coupdemain admin …`` and ``--help``, run as a person runs them: as a subprocess."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from coupdemain import cli
from coupdemain.config import Settings
from coupdemain.server import accounts
from tests.support.server import PASSWORD, ServerProcess, csrf_of, signed_in_client

NO_CAROL = "No user named 'carol'. `coupdemain admin list` shows the users.\n"


def coupdemain(
    data_dir: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COUPDEMAIN_")}
    env["COUPDEMAIN_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "coupdemain", *args], input=stdin, env=env,
        capture_output=True, text=True, timeout=60,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with alice (admin) and bob (technician) of Entraide Numérique."""
    folder = tmp_path_factory.mktemp("admin") / "data"
    ok(coupdemain(folder, "admin", "create-user", "--username", "alice", "--name",
                  "Alice Martin", "--organisation", "Entraide Numérique", "--role", "admin",
                  "--password-stdin", stdin=PASSWORD + "\n"))
    ok(coupdemain(folder, "admin", "create-user", "--username", "bob", "--name", "Bob",
                  "--organisation", "Entraide Numérique", "--password-stdin",
                  stdin=PASSWORD + "\n"))
    return folder


def test_list_shows_the_users_as_a_table(data: Path) -> None:
    assert ok(coupdemain(data, "admin", "list")).splitlines() == [
        "USERNAME  NAME          ORGANISATION        ROLE        ENABLED  LAST SIGN-IN",
        "alice     Alice Martin  Entraide Numérique  admin       yes      never",
        "bob       Bob           Entraide Numérique  technician  yes      never",
    ]


@pytest.mark.parametrize("args", [
    ["disable", "carol"], ["enable", "carol"], ["reset-password", "carol", "--password-stdin"],
    ["rename", "carol", "Carol"], ["set-role", "carol", "admin"],
])
def test_an_unknown_user_is_named(data: Path, args: list[str]) -> None:
    result = coupdemain(data, "admin", *args, stdin=PASSWORD + "\n")
    assert (result.returncode, result.stderr, result.stdout) == (1, NO_CAROL, "")


def test_a_wrong_data_folder_is_said_and_creates_nothing(tmp_path: Path) -> None:
    result = coupdemain(tmp_path / "typo", "admin", "list")
    assert result.returncode == 1
    assert result.stderr == (
        f"There is no database at {tmp_path / 'typo' / 'coupdemain.sqlite3'}. Give the "
        "server's data folder with --data-dir (or COUPDEMAIN_DATA_DIR).\n"
    )
    assert not (tmp_path / "typo").exists()


def test_bad_input_gets_a_sentence(data: Path) -> None:
    short = coupdemain(data, "admin", "reset-password", "bob", "--password-stdin", stdin="abc\n")
    assert (short.returncode, short.stderr) == (
        1, "The password must have at least 10 characters.\n")
    role = coupdemain(data, "admin", "set-role", "bob", "boss")
    assert role.returncode == 2
    assert "argument ROLE: invalid choice: 'boss' (choose from" in role.stderr
    no_org = coupdemain(data, "admin", "create-user", "--username", "carol", "--name", "Carol",
                        "--generate-password")
    assert no_org.returncode == 2
    assert "the following arguments are required: --organisation" in no_org.stderr
    empty = coupdemain(data, "admin", "rename", "bob", "  ")
    assert (empty.returncode, empty.stderr) == (1, "The display name must not be empty.\n")


def test_rename_set_role_and_rename_organisation(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    created = ok(coupdemain(folder, "admin", "create-user", "--username", "admin", "--name",
                            "Administrator", "--organisation", "My organisation", "--role",
                            "admin", "--generate-password"))
    assert re.fullmatch(
        r"Created admin 'admin' \(Administrator, My organisation\)\.\n"
        r"Password: [a-z2-9]{5}(-[a-z2-9]{5}){3}\n", created)
    assert ok(coupdemain(folder, "admin", "rename", "admin", "Alice Martin")) == (
        "'admin' is now shown as 'Alice Martin'.\n")
    assert ok(coupdemain(folder, "admin", "rename-organisation", "My organisation",
                         "Entraide Numérique")) == (
        "The organisation 'My organisation' is now 'Entraide Numérique': the people you "
        "help see this name from their next session.\n")
    unknown = coupdemain(folder, "admin", "rename-organisation", "My organisation", "X")
    assert (unknown.returncode, unknown.stderr) == (1, (
        "No organisation named 'My organisation'. `coupdemain admin list` shows the "
        "organisations.\n"))
    ok(coupdemain(folder, "admin", "create-user", "--username", "zoe", "--name", "Zoé",
                  "--organisation", "Autre", "--password-stdin", stdin=PASSWORD + "\n"))
    clash = coupdemain(folder, "admin", "rename-organisation", "Autre", "Entraide Numérique")
    assert (clash.returncode, clash.stderr) == (
        1, "An organisation named 'Entraide Numérique' already exists.\n")
    assert ok(coupdemain(folder, "admin", "set-role", "admin", "technician")) == (
        "'admin' is now a technician.\n"
        "Note: 'Entraide Numérique' has no enabled admin now; "
        "`coupdemain admin set-role USERNAME admin` makes one.\n")
    assert ok(coupdemain(folder, "admin", "list")).splitlines()[1:] == [
        "zoe       Zoé           Autre               technician  yes      never",
        "admin     Alice Martin  Entraide Numérique  technician  yes      never",
    ]


@pytest.fixture
def running(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path / "server")
    server.create_user("alice", "Alice Martin", "Entraide Numérique", role="admin")
    server.create_user("bob", "Bob", "Entraide Numérique")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def sign_in(server: ServerProcess, username: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        form = csrf_of(client.get("/login").text)
        return client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": form})


def test_disabling_the_last_admin_says_so(data: Path) -> None:
    assert ok(coupdemain(data, "admin", "disable", "alice")) == (
        "Disabled 'alice' (Alice Martin): they cannot sign in, and their open console "
        "sign-ins have ended.\n"
        "Note: 'Entraide Numérique' has no enabled admin now; "
        "`coupdemain admin set-role USERNAME admin` makes one.\n")
    assert ok(coupdemain(data, "admin", "list")).splitlines()[1] == (
        "alice     Alice Martin  Entraide Numérique  admin       no       never")
    ok(coupdemain(data, "admin", "enable", "alice"))


def test_a_disabled_user_cannot_sign_in_and_is_signed_out(running: ServerProcess) -> None:
    with signed_in_client(running, "bob") as bob:
        assert bob.get("/").status_code == 200
        assert ok(coupdemain(running.data_dir, "admin", "disable", "bob")) == (
            "Disabled 'bob' (Bob): they cannot sign in, and their open console "
            "sign-ins have ended.\n")
        page = bob.get("/", follow_redirects=False)
        assert (page.status_code, page.headers["location"]) == (303, "/login")
        assert bob.get(f"/api/sessions/{'0' * 32}/events").status_code in (303, 401, 403)
    refused = sign_in(running, "bob", PASSWORD)
    assert refused.status_code == 403
    assert "This account is disabled. Ask your organisation&#39;s administrator." in refused.text
    assert ok(coupdemain(running.data_dir, "admin", "enable", "bob")) == (
        "Enabled 'bob' (Bob): they can sign in again.\n")
    assert sign_in(running, "bob", PASSWORD).status_code == 303
    bob_row = ok(coupdemain(running.data_dir, "admin", "list")).splitlines()[2]
    assert bob_row.startswith("bob ") and re.search(r"yes  +\d{4}-\d\d-\d\d \d\d:\d\d", bob_row)


def test_reset_password_replaces_it_and_signs_out(running: ServerProcess) -> None:
    with signed_in_client(running, "bob") as bob:
        result = ok(coupdemain(running.data_dir, "admin", "reset-password", "bob",
                               "--generate-password"))
        assert result.startswith(
            "New password for 'bob' (Bob); their open console sign-ins have ended.\nPassword: ")
        assert bob.get("/", follow_redirects=False).status_code == 303
    new = result.splitlines()[1].removeprefix("Password: ")
    assert sign_in(running, "bob", PASSWORD).status_code == 401
    assert sign_in(running, "bob", new).status_code == 303


def test_serve_help_names_the_default_port() -> None:
    result = subprocess.run([sys.executable, "-m", "coupdemain", "serve", "--help"],
                            capture_output=True, text=True, timeout=60, check=True)
    assert "(default: 8765)" in " ".join(result.stdout.split())


def subparsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield child
                yield from subparsers(child)


def test_every_option_with_a_default_says_it() -> None:
    silent = []
    for parser in subparsers(cli.build_parser()):
        for action in parser._actions:
            if not action.option_strings or action.help == argparse.SUPPRESS:
                continue
            # The settings' flags default to None so that the environment can apply.
            default = getattr(Settings(), action.dest, action.default)
            nothing = default is None or default is False or default == ""
            if nothing or isinstance(action, argparse._HelpAction):
                continue  # a switch, off unless given, or an option with no default
            text = parser.formatter_class(parser.prog)._expand_help(action)
            if "default" not in text:
                silent.append(f"{parser.prog} {action.option_strings[0]}")
    assert silent == []


def test_the_roles_match_the_server() -> None:
    assert sorted(cli.ROLES) == sorted(accounts.ROLES)


def test_the_first_start_says_how_to_name_the_organisation(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data").start()
    try:
        log = server.log()
    finally:
        server.stop()
    assert (
        '  The people you help see your organisation\'s name, now "My organisation",\n'
        '  and your name, now "Administrator". Give the real ones:\n'
        '    coupdemain admin rename-organisation "My organisation" "Your organisation"\n'
        '    coupdemain admin rename admin "Your name"\n'
    ) in log
    assert "with your account" not in log
