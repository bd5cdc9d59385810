"""Command fingerprints are hashed into the journal: renaming a field must not move them.

The hashes below were computed before the quantities were named by unit (``quantity``
became ``quantity_units`` or ``quantity_g``; ``amounts`` became ``amounts_units``). A
replay of a request recorded then must still match its entry, so these stay fixed.
"""

from __future__ import annotations

import pytest

from pctrade.ledger import commands as c
from pctrade.ledger.operations import FreezeReason, Retirement

BATCH = "PCER-GD-AFF0007-2026Q3-001"
FROZEN = [
    (c.Transfer(1000, 1001, "CNY", 5),
     "dfffa45a14660f42c324eb2597e6f07672ad2d807a8f683ff252a6d070af230f"),
    (c.Freeze(1000, BATCH, 7, FreezeReason.ORDER, "o"),
     "75a3638629787936fb4628082b26024b83a80c86d1181cf2bbf272c7b935d878"),
    (c.Unfreeze(3, 2), "04663a6068a90d173a058790c089215b9c3cd36e211b68374c50e605e8664e2f"),
    (c.Surrender(1000, BATCH, 9, "2026"),
     "b0e6179b6dbde62838be3f75e04adbe6f4917ec9111a16d09ea3f94a50a0efc0"),
    (c.Retire(1000, BATCH, 9, Retirement("a", "b")),
     "d8a98352fc97d4e1a383494bea2c6b691daa55870ef028b284ea736770fbf753"),
    (c.Cancel(1000, BATCH, 9, "r"),
     "e0877fd14d7b27b174cfa52c0a7c2944121c6c106320757b486bc90b29952c5a"),
    (c.Distribute(1000, "CNY", [1001, 1002], [3, 4], "ref"),
     "774aee476eb384f3314904d797099aae3c21ea9df2a568d51eb91b15d083edbd"),
]  # fmt: skip


@pytest.mark.parametrize(("command", "fingerprint"), FROZEN)
def test_a_commands_fingerprint_is_the_one_recorded_before_its_fields_were_renamed(
    command: c.Command, fingerprint: str
) -> None:
    assert command.fingerprint() == fingerprint


def test_every_journal_name_maps_a_real_field() -> None:
    # A mapping for a field that no longer exists would silently stop applying.
    for cls in (c.Transfer, c.Freeze, c.Unfreeze, c.Surrender, c.Retire, c.Cancel):
        fields = set(cls.__dataclass_fields__)
        assert set(cls.JOURNAL_NAMES) <= fields and "quantity" not in fields


def test_publishing_the_beneficiary_is_part_of_a_retirements_fingerprint() -> None:
    # Left at its default the choice keeps the fingerprint recorded before it existed
    # (above); made, it is another request under the same key.
    hidden = c.Retire(1000, BATCH, 9, Retirement("a", "b"))
    shown = c.Retire(1000, BATCH, 9, Retirement("a", "b", publish_beneficiary=True))
    assert hidden.fingerprint() != shown.fingerprint()
