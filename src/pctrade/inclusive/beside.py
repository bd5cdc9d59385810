"""The carbon-inclusive entry's evidence: its attribution table, written beside it.

``Journal.execute`` writes an entry's evidence in the entry's transaction, after the
entry is appended (``ledger.write.Evidence``). An ``inclusive_issue`` entry's is the
batch's attribution table (who got how many grams, from which energy lines) and the
issuance marked issued under the entry's seq. It records no facts in the payload (as
before it was typed): the verified issuance pins the claim by its digest, and the
entry's own postings name every person and gram (``verify`` replays them,
``inclusive.invariants``).
"""

from __future__ import annotations

from dataclasses import dataclass

from pctrade.inclusive.claim import Claim, IssuanceStatus
from pctrade.inclusive.sql import store as db
from pctrade.ledger.journal import Entry, JsonDict
from pctrade.ledger.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class AttributionTable:
    """The attribution of the claim the planner found inside the entry's transaction.

    ``claims`` is filled by the planner: a planner may run twice (``ledger.write``), and
    the last run's claim is the one the entry was written from.
    """

    issuance_id: int
    batch: str
    claims: list[Claim]

    @property
    def facts(self) -> JsonDict | None:
        return None

    def write(self, uow: UnitOfWork, entry: Entry) -> None:
        db.update_issuance(
            uow,
            self.issuance_id,
            status=str(IssuanceStatus.ISSUED),
            issue_seq=entry.seq,
            batch=self.batch,
        )
        db.insert_attributions(uow, entry.seq, self.claims[-1])
