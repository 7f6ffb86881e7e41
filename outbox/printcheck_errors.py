"""The one error of the letter checks: 422 ``letter_invalid``, detail ``"<check>: <why>"``."""

from __future__ import annotations

from akte.core.errors import Unprocessable


class LetterInvalid(Unprocessable):
    code = "letter_invalid"


def fail(check: str, why: str) -> LetterInvalid:
    return LetterInvalid(f"{check}: {why}", code="letter_invalid")
