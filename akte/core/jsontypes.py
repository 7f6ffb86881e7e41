"""Whole numbers as JSON Schema means them.

``type: integer`` in JSON Schema admits ``5`` and ``5.0`` (a number without a fractional
part) and nothing else. Pydantic's lax ``int`` also takes ``"5"`` and ``true``; its strict
``int`` refuses ``5.0``. :data:`JsonInt` is the schema's rule: a JSON number that is whole,
never text or a boolean. (Booleans and floats in request bodies use ``strict=True``, which
already matches the schema: ``true``/``false`` only; any number, but no text.)
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator


def _number_not_text(value: object) -> object:
    if isinstance(value, bool | str | bytes):
        raise ValueError("expected a whole number, not text or true/false")
    return value


#: ``int`` that refuses text and booleans but takes a whole ``5.0`` like JSON Schema.
JsonInt = Annotated[int, BeforeValidator(_number_not_text)]
