"""The support code: 9 digits read over the phone, e.g. 482 913 705."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

CODE_DIGITS = 9
CODE_SPACE = 10**CODE_DIGITS   # how many codes there are: a guess hits one live code in this many
_SEPARATORS = re.compile(r"[\s\-.]")


@dataclass(frozen=True, slots=True)
class SupportCode:
    """Nine decimal digits, drawn from a CSPRNG."""

    digits: str

    def __post_init__(self) -> None:
        if len(self.digits) != CODE_DIGITS or not self.digits.isdigit():
            raise ValueError(
                f"Support code {self.digits!r} must have 9 digits, like 482 913 705."
            )

    @classmethod
    def generate(cls) -> SupportCode:
        """Draws a fresh code; leading zeros are allowed."""
        return cls(f"{secrets.randbelow(CODE_SPACE):0{CODE_DIGITS}d}")

    @classmethod
    def parse(cls, text: str) -> SupportCode:
        """Reads a code as a person types it: spaces, dashes and dots are ignored.

        Raises:
            ValueError: the text is not 9 digits.
        """
        return cls(_SEPARATORS.sub("", text.strip()))

    def formatted(self) -> str:
        """The code in three groups, the way it is read aloud: ``482 913 705``."""
        d = self.digits
        return f"{d[0:3]} {d[3:6]} {d[6:9]}"

    def masked(self) -> str:
        """The code as logs may show it: only the last three digits."""
        return f"••• ••• {self.digits[6:9]}"

    def __str__(self) -> str:
        return self.masked()
