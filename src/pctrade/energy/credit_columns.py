"""A day's energy credit on columns: the ``energy_credit`` entry at national scale.

``model.EnergyCredit`` holds one ``EnergyLine`` per (person, behaviour): at a million
people (~10 M lines) the tuples, their hashing through ``str`` and the per-account
totals in a dict cost more than the database takes to store them. This is the same
credit with its lines as an Arrow table (columns in ``EnergyLine`` order), and the
same plan (``plan_energy_credit_columns``): the same payload, the same digest, the
same postings, number for number — so the command's fingerprint, and with it the
idempotency key, are the same whichever form posted the day (a test holds the two
equal), and ``verify`` checks the stored lines as it always did.

The digest is computed by Arrow: each line's canonical text (``model.line_text``: the
fields' decimal or string forms joined by U+001F, then a newline) is built column-wise,
and the text buffer of each chunk is fed to SHA-256 as it lies in memory.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pctrade.energy.model import (
    LINES_PER_CREDIT_MAX,
    CreditPlan,
    EnergyLine,
    EnergyOp,
    KeptFile,
)
from pctrade.kernel.errors import ValidationError
from pctrade.kernel.units import require_positive
from pctrade.ledger.journal import JsonDict
from pctrade.ledger.model import ENERGY_ASSET, State, SystemAccount
from pctrade.ledger.packed_np import Column
from pctrade.ledger.postings import Postings

LINE_NAMES: tuple[str, ...] = EnergyLine._fields
_DIGEST_CHUNK_ROWS = 1 << 20  # about 120 MB of line text at a time
_INT64_MAX = (1 << 63) - 1
_UNIT_SEPARATOR = pa.scalar("\x1f", pa.large_string())  # as ``model.line_text``
_NEWLINE = pa.scalar("\n", pa.large_string())
_NOTHING = pa.scalar("", pa.large_string())


class LinesHasher:
    """``model.lines_digest`` fed a table of lines at a time (columns in ``EnergyLine``
    order): a credit's lines as they stream back from the database hash the same."""

    def __init__(self, chunk_rows: int = _DIGEST_CHUNK_ROWS) -> None:
        self._sha = hashlib.sha256()
        self._chunk_rows = chunk_rows

    def update(self, lines: pa.Table) -> None:
        for start in range(0, lines.num_rows, self._chunk_rows):
            part = lines.slice(start, self._chunk_rows)
            texts = [pc.cast(column, pa.large_string()) for column in part.columns]
            joined = pc.binary_join_element_wise(*texts, _UNIT_SEPARATOR)
            if joined.null_count:  # str(None) would hash "None": no line has an empty field
                raise ValidationError("an energy line has an empty field", code="missing_field")
            text = pc.binary_join_element_wise(joined, _NEWLINE, _NOTHING)
            for chunk in text.chunks if isinstance(text, pa.ChunkedArray) else [text]:
                self._sha.update(_text_bytes(chunk))

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def lines_digest_columns(lines: pa.Table, chunk_rows: int = _DIGEST_CHUNK_ROWS) -> str:
    """``model.lines_digest`` of a table of lines (columns in ``EnergyLine`` order)."""
    hasher = LinesHasher(chunk_rows)
    hasher.update(lines.select(list(LINE_NAMES)))
    return hasher.hexdigest()


def _text_bytes(strings: pa.Array) -> memoryview:
    """The bytes of a large_string array's values, concatenated (they lie contiguous)."""
    if len(strings) == 0:
        return memoryview(b"")
    offsets_buf, data_buf = strings.buffers()[1:3]
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[
        strings.offset : strings.offset + len(strings) + 1
    ]
    if data_buf is None:
        return memoryview(b"")
    return memoryview(data_buf)[int(offsets[0]) : int(offsets[-1])]


@dataclass(frozen=True, slots=True)
class EnergyCreditColumns:
    """``model.EnergyCredit`` with its lines as an Arrow table, in their stored order."""

    day: str
    methodologies: tuple[str, ...]
    as_of_ms: int
    lines: pa.Table
    kept: Sequence[KeptFile] = ()
    digest: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if tuple(self.lines.column_names) != LINE_NAMES:
            raise ValidationError("energy line columns out of order", code="bad_request")
        object.__setattr__(self, "kept", tuple(sorted(set(self.kept))))
        object.__setattr__(self, "digest", lines_digest_columns(self.lines))


def _int_column(lines: pa.Table, name: str) -> Column:
    return np.asarray(lines.column(name).to_numpy(zero_copy_only=False), dtype=np.int64)


def energy_totals_columns(accounts: Column, grams: Column) -> tuple[Column, Column]:
    """``model._energy_totals`` on columns: grams per account, ascending, zeros left out."""
    if len(grams) and int(grams.min()) < 0:
        raise ValidationError("a line credits negative grams", code="non_positive")
    if len(grams) and int(grams.max()) > _INT64_MAX // len(grams):
        # int64 sums could wrap; no national day comes near (10^18 g).
        raise ValidationError("energy totals beyond 64-bit integers", code="bad_request")
    order = np.argsort(accounts, kind="stable")
    ids, sorted_grams = accounts[order], grams[order]
    if len(ids) == 0:
        return ids, sorted_grams
    starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
    ids, totals = ids[starts], np.add.reduceat(sorted_grams, starts)
    live = totals > 0
    return ids[live], totals[live]


def plan_energy_credit_columns(credit: EnergyCreditColumns) -> CreditPlan:
    """``model.plan_energy_credit`` of a credit on columns: the same payload and postings."""
    lines = credit.lines
    n = lines.num_rows
    if n == 0:
        raise ValidationError("no energy lines to credit", code="missing_field")
    if n > LINES_PER_CREDIT_MAX:
        raise ValidationError("too many energy lines in one credit", code="too_many")
    days = lines.column("day")
    if days.null_count or not bool(pc.all(pc.equal(days, credit.day)).as_py()):
        raise ValidationError("every line must be of the credited day", code="bad_request")
    ids, amounts = energy_totals_columns(
        _int_column(lines, "account_id"), _int_column(lines, "credited_g")
    )
    total = int(amounts.sum(dtype=np.int64))
    require_positive(total, "credited energy")
    payload: JsonDict = {
        "day": credit.day,
        "methodologies": sorted(credit.methodologies),
        "as_of_ms": credit.as_of_ms,
        "lines": n,
        "lines_digest": credit.digest,
        "recipients": len(ids),
        "credited_g": total,
    }
    if credit.kept:
        payload["kept"] = [f.facts() for f in credit.kept]
    return CreditPlan(EnergyOp.CREDIT, payload, postings=_fan_out(ids, amounts, total))


def _fan_out(ids: Column, amounts: Column, total: int) -> Postings:
    """``Postings.fan_out`` of the source's debit and one uncollected posting per account."""
    m = len(ids) + 1

    def column(head: int, rest: Column) -> array[int]:
        joined = np.concatenate([np.asarray([head], dtype=np.int64), rest]).astype("=i8")
        return array("q", joined.tobytes())

    states = np.full(m - 1, int(State.UNCOLLECTED), dtype=np.int64)
    return Postings(
        column(int(SystemAccount.ISSUANCE), ids),
        array("q", [ENERGY_ASSET]) * m,
        column(int(State.SOURCE), states),
        column(-total, amounts),
    )
