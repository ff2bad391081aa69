"""The server's settings: one table, read from flags, then environment, then defaults.

Every setting is a flag of ``coupdemain serve`` and an environment variable;
docs/reference/configuration.md lists them all (a test keeps it in step with
this table). Precedence: command-line flag > environment variable > default.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "COUPDEMAIN_"


def _default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "coupdemain")


def _setting(default: Any, help: str, *, metavar: str = "") -> Any:
    return field(default=default, metadata={"help": help, "metavar": metavar})


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything ``coupdemain serve`` can be told."""

    host: str = _setting("127.0.0.1", "Address to listen on.", metavar="ADDR")
    port: int = _setting(8765, "TCP port to listen on.", metavar="PORT")
    data_dir: str = _setting(
        "", "Folder for the SQLite database and the server's secret key "
        "(default: $XDG_DATA_HOME/coupdemain, else ~/.local/share/coupdemain).",
        metavar="DIR",
    )
    database_url: str = _setting(
        "", "SQLAlchemy URL of the database (default: a SQLite file in the data folder; "
        "e.g. postgresql+asyncpg://user:pass@host/coupdemain).",
        metavar="URL",
    )
    public_url: str = _setting(
        "", "The address technicians and agents use to reach this server, e.g. "
        "https://help.example.org (default: built from host and port).",
        metavar="URL",
    )
    tls_cert: str = _setting("", "PEM certificate chain: serve HTTPS directly.", metavar="FILE")
    tls_key: str = _setting("", "PEM private key for --tls-cert.", metavar="FILE")
    forwarded_allow_ips: str = _setting(
        "", "Behind a reverse proxy: comma-separated proxy addresses whose "
        "X-Forwarded-For/-Proto headers are trusted (e.g. 127.0.0.1).",
        metavar="IPS",
    )
    code_ttl_seconds: int = _setting(600, "How long a support code stays valid.", metavar="S")
    code_attempts: int = _setting(
        5, "Wrong codes one address may try within --code-attempt-window before it is "
        "refused for the rest of that window.", metavar="N",
    )
    code_attempt_window: int = _setting(
        600, "The rate limit's window for wrong codes and failed sign-ins.", metavar="S"
    )
    code_guess_odds: int = _setting(
        1_000_000, "Server-wide limit on wrong codes, from any number of addresses: a guesser's "
        "chance of hitting any live code during its life stays under one in this many. "
        "Lower it to let more wrong codes through on a busy server (docs/topics/security.md).",
        metavar="N",
    )
    login_account_attempts: int = _setting(
        5, "Wrong passwords for one account, from any address, after which it waits "
        "--login-backoff-seconds before the next try; each further wrong one doubles the wait. "
        "A browser that signed in to the account before is counted apart.", metavar="N",
    )
    login_backoff_seconds: int = _setting(
        30, "The first wait of an account after too many wrong passwords.", metavar="S"
    )
    login_backoff_max_seconds: int = _setting(
        900, "The longest wait of an account after wrong passwords.", metavar="S"
    )
    viewer_grace_seconds: int = _setting(
        60, "How long a session waits for a technician whose connection dropped "
        "before it ends.", metavar="S",
    )
    agent_grace_seconds: int = _setting(
        60, "How long a session waits for the person's computer to reconnect after its "
        "connection dropped or the server restarted, before it ends.", metavar="S",
    )
    mandate_minute_seconds: float = _setting(
        60.0, "How many seconds a minute of a mandate lasts: its time, its warning five "
        "minutes before the end, and its extensions. For tests and demos only (e.g. 1: a "
        "30-minute mandate ends after 30 seconds); keep 60 in service.", metavar="S",
    )
    login_session_hours: int = _setting(12, "How long a console sign-in lasts.", metavar="H")
    file_transfer_max_bytes: int = _setting(
        4 * 1024**3, "The largest file that may be sent either way in a session, in bytes "
        "(0: none). Files wait in the data folder's spool until delivered.", metavar="BYTES",
    )
    file_transfer_directions: str = _setting(
        "both", "Which ways files may be sent: both, to_person (technician to person), "
        "to_technician (person to technician) or none.", metavar="WAYS",
    )
    turn_url: str = _setting(
        "", "The TURN server that relays a browser share's picture when the two browsers "
        "cannot meet directly, e.g. turn:turn.example.org:3478 (several: comma-separated, "
        "e.g. a turns: one on port 5349 too). Needs --turn-secret (docs/howto/deploy.md).",
        metavar="URLS",
    )
    turn_secret: str = _setting(
        "", "The secret shared with the TURN server (coturn's static-auth-secret): the server "
        "mints short-lived TURN credentials from it for each session. Prefer the environment "
        "variable to the flag, which other users can read in the process list.",
        metavar="SECRET",
    )
    turn_ttl_seconds: int = _setting(
        43200, "How long the TURN credentials given to a browser share stay valid.",
        metavar="S",
    )
    ice_transport_policy: str = _setting(
        "all", "A browser share's path: all (directly between the browsers when their networks "
        "allow, else through TURN) or relay (always through the TURN server: neither browser "
        "learns the other's address).", metavar="POLICY",
    )
    agent_binary: str = _setting(
        "", "The single-file agent (scripts/build-agent.sh) that the join page offers to "
        "people on Linux, served with this server's address appended (default: coupdemain-help "
        "in the data folder, if it is there; none: the page offers only the browser).",
        metavar="FILE",
    )
    recording_key: str = _setting(
        "", "The key that seals session recordings at rest (AES-GCM; any long random text). "
        "Default: derived from the server's secret key in the data folder. Recordings made "
        "under one key cannot be played under another. Prefer the environment variable to "
        "the flag.", metavar="KEY",
    )
    recording_sweep_seconds: int = _setting(
        3600, "How often expired recordings (older than their organisation's retention) are "
        "looked for and deleted.", metavar="S",
    )
    agent_package: str = _setting(
        "", "The agent's Debian package for deployment tools (scripts/build-deb.sh), which "
        "the Devices page offers to admins (default: coupdemain-agent.deb in the data folder, "
        "if it is there).", metavar="FILE",
    )
    device_licences: int = _setting(
        0, "How many managed devices may be enrolled at once (not revoked); enrolling one "
        "more is refused. 0: no limit. The Devices page shows used / total.", metavar="N",
    )
    log_level: str = _setting(
        "info", "Logging level: debug (also every HTTP request), info (one line per "
        "session event), warning, error.", metavar="LEVEL"
    )

    @property
    def resolved_data_dir(self) -> Path:
        return Path(self.data_dir or _default_data_dir()).expanduser()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.resolved_data_dir / 'coupdemain.sqlite3'}"

    @property
    def resolved_public_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        scheme = "https" if self.tls_cert else "http"
        host = "localhost" if self.host in ("127.0.0.1", "0.0.0.0", "::", "::1") else self.host
        return f"{scheme}://{host}:{self.port}"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def flag_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_arguments(
    parser: argparse.ArgumentParser, only: tuple[str, ...] | None = None
) -> None:
    """Adds one flag per setting (or per setting named in ``only``).

    Each flag defaults to "not given" so that precedence can apply.
    """
    for f in dataclasses.fields(Settings):
        if only is not None and f.name not in only:
            continue
        parser.add_argument(
            flag_name(f.name),
            dest=f.name,
            default=None,
            type=type(f.default),
            metavar=f.metadata["metavar"] or None,
            help=f"{f.metadata['help']}{_default_text(f.default)} [env {env_name(f.name)}]",
        )


def _default_text(default: object) -> str:
    # The flags default to None (so that precedence applies); say the real one.
    # An empty default is explained in the setting's own help.
    return f" (default: {default})" if default != "" else ""


def load(
    args: argparse.Namespace | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Builds the settings: flag > environment variable > default.

    Raises:
        ValueError: an environment variable does not fit its setting's type.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        given = getattr(args, f.name, None) if args is not None else None
        if given is not None:
            values[f.name] = given
            continue
        raw = environ.get(env_name(f.name))
        if raw is not None and raw != "":
            kind: type[Any] = type(f.default)  # every setting has a default
            try:
                values[f.name] = kind(raw)
            except ValueError:
                raise ValueError(
                    f"{env_name(f.name)}={raw!r} is not a valid {kind.__name__}"
                ) from None
    return Settings(**values)


def reference_table() -> str:
    """The Markdown table of docs/reference/configuration.md."""
    rows = [
        "| flag | environment variable | default | purpose |",
        "| --- | --- | --- | --- |",
    ]
    for f in dataclasses.fields(Settings):
        default = f"`{f.default}`" if f.default != "" else "(see purpose)"
        rows.append(
            f"| `{flag_name(f.name)}` | `{env_name(f.name)}` | {default} | {f.metadata['help']} |"
        )
    return "\n".join(rows)
