"""One error tree: every error coupdemain raises has a wire code or stays local, and a sentence."""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

import pytest

import coupdemain
from coupdemain.protocol import errors
from coupdemain.protocol.errors import CloseReason, CoupdemainError, LocalError

LOCALES = Path(coupdemain.__file__).parent / "i18n" / "locales"
# Modules that need a display or a codec library at import; they are imported when present.
OPTIONAL = ("tkinter", "Xlib", "av", "gi")


def _every_module() -> None:
    for module in pkgutil.walk_packages(coupdemain.__path__, "coupdemain."):
        if module.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(module.name)
        except ImportError as exc:
            if not (exc.name or "").startswith(OPTIONAL):
                raise


def _subclasses(cls: type[BaseException]) -> set[type[BaseException]]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def _catalog(language: str, name: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((LOCALES / language / f"{name}.json").read_text("utf-8"))
    return data


_every_module()
ERRORS = sorted(_subclasses(CoupdemainError) | {CoupdemainError},
                key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def test_the_package_s_errors_all_derive_from_coupdemain_error() -> None:
    names = {cls.__name__ for cls in ERRORS}
    for outside in ("AccountError", "UnsafeFileName", "InjectError", "CaptureError",
                    "CursorUnavailable", "DamageUnavailable", "VideoEncodeError",
                    "TransferFailed", "TransferCancelled", "ConnectionFailed"):
        assert outside in names


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.__name__)
def test_every_error_has_a_wire_code_or_stays_local_and_a_sentence_in_both_languages(
    cls: type[CoupdemainError],
) -> None:
    assert issubclass(cls, LocalError) or isinstance(cls.close_reason, CloseReason)
    catalog, _, key = cls.sentence.partition(":")
    for language in ("en", "fr"):
        assert key in _catalog(language, catalog), f"{cls.__name__}: {cls.sentence} ({language})"
    assert cls.__doc__, f"{cls.__name__} says what it means in a docstring"


def test_the_module_docstring_lists_the_tree() -> None:
    assert errors.__doc__ is not None
    for cls in ERRORS:
        if cls.__module__.startswith("coupdemain.") and not cls.__name__.startswith("_"):
            assert cls.__name__ in errors.__doc__, f"{cls.__name__} is missing from the tree"


def test_protocol_errors_keep_their_close_codes() -> None:
    assert errors.MalformedMessage.close_reason is CloseReason.MALFORMED_MESSAGE
    assert errors.UnsupportedVersion.close_reason is CloseReason.UNSUPPORTED_VERSION
    assert errors.SupportCodeExpired.close_reason is CloseReason.CODE_EXPIRED
    assert errors.ResumeRefused(CloseReason.PEER_LOST).close_reason is CloseReason.PEER_LOST
