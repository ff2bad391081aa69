from __future__ import annotations

import pytest

from coupdemain.protocol.support_code import SupportCode


def test_generated_codes_have_nine_digits() -> None:
    codes = {SupportCode.generate().digits for _ in range(200)}
    assert all(len(c) == 9 and c.isdigit() for c in codes)
    assert len(codes) > 190  # drawn at random, not a counter


@pytest.mark.parametrize("typed", ["482913705", "482 913 705", " 482-913-705 ", "482.913.705"])
def test_parse_accepts_what_people_type(typed: str) -> None:
    assert SupportCode.parse(typed) == SupportCode("482913705")


@pytest.mark.parametrize("typed", ["", "12345678", "1234567890", "48291370a"])
def test_parse_refuses_with_a_sentence(typed: str) -> None:
    with pytest.raises(ValueError) as caught:
        SupportCode.parse(typed)
    assert "must have 9 digits, like 482 913 705." in str(caught.value)


def test_formatting_and_masking() -> None:
    code = SupportCode("012345678")
    assert code.formatted() == "012 345 678"
    assert code.masked() == "••• ••• 678"
    assert "012345" not in str(code)
