"""Which text the platform accepts: any Unicode except U+0000 and unpaired surrogates.

PostgreSQL cannot store U+0000 (NUL) in a text column, while SQLite keeps it: the same
request would be stored on one database and refused (as a server error) on the other.
An unpaired surrogate has no UTF-8 form, so no database stores it. Every entrypoint
(the HTTP API, the CLI) refuses both at its boundary, before anything is read or
written, each with one code: ``nul_character`` and ``invalid_unicode``.
"""

from __future__ import annotations

from pctrade.kernel.errors import ValidationError

NUL = "\x00"


def check_text(value: str, where: str) -> None:
    """Refuse ``value`` (found in ``where``, for the message) if no database may store it."""
    if NUL in value:
        raise ValidationError(f"{where} contains U+0000 (NUL)", code="nul_character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            f"{where} contains an unpaired surrogate (not Unicode text)", code="invalid_unicode"
        ) from None
