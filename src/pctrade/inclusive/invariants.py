"""What replaying the journal checks of a carbon-inclusive (碳普惠) issuance.

One ``inclusive_issue`` entry spends people's green energy and issues them the same
grams of a new batch. Replay checks, per account, that the grams credited of the
batch, the energy taken from ``available`` and the energy moved to ``spent`` are the
same, and that the entry posts nothing else (other than the issuance's ``source``):
no credit without spent energy, no spend without credit.

Problems (codes are stable):

    inclusive_mismatch   an unexpected posting, or credits that differ from energy spent
"""

from __future__ import annotations

from collections.abc import Iterator

from pctrade.ledger.invariants import Problem, StoredEntry
from pctrade.ledger.model import ENERGY_ASSET, AccountId, AssetId, State


def check_inclusive_issue(entry: StoredEntry) -> Iterator[Problem]:
    """Per account: grams credited of the batch == energy taken == energy spent."""
    seq = entry.header.seq
    asset_id: AssetId = int(entry.header.payload["batch"]["asset_id"])
    moved: dict[tuple[AssetId, State], dict[AccountId, int]] = {
        (asset_id, State.AVAILABLE): {},
        (ENERGY_ASSET, State.AVAILABLE): {},
        (ENERGY_ASSET, State.SPENT): {},
    }
    for (account_id, asset, state), delta in entry.postings.net_by_key().items():
        column = moved.get((asset, State(state)))
        if column is not None:
            column[account_id] = delta
        elif state != State.SOURCE:
            yield Problem("inclusive_mismatch", f"unexpected posting for {account_id}", seq)
    credited, taken, spent = moved.values()
    if credited != spent or taken != {a: -g for a, g in spent.items()}:
        yield Problem("inclusive_mismatch", "credits issued differ from energy spent", seq)
