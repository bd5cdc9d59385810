"""Pools use cases (issue 14): open, publish terms, deposit, withdraw, consent, notice.

Each write is one journal entry (``Journal.execute``) whose rows beside it are written
in its transaction from the entry itself (``RowsBeside``), so a replay of the key
answers the same entry and writes nothing:

- ``open`` / ``publish_terms``: a platform's pool and its versioned terms, checked
  against the rule set in force in the pool's jurisdiction (显失公平: ``pools.model``);
  a ``pool_terms`` entry without postings, citing the rule set's version and digest;
- ``deposit``: an individual's PCER, admitted by the pool's terms, frozen in ONE hold of
  reason ``pool`` on their own account (a ``pool_deposit`` entry); the deposit records
  the terms version it accepted;
- ``withdraw``: unsold units back to available, per each deposit's own terms (lock-in,
  notice), never units an open market sell of the pool has committed;
- ``consent``: a contributor moves their deposits to a later terms version;
- ``give_notice``: a contributor's notice of withdrawal (logged, no entry).

Reads are in ``pools.queries``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pctrade.kernel.errors import Conflict, Forbidden, InsufficientBalance, NotFound
from pctrade.kernel.limits import INT32_MAX
from pctrade.ledger import access
from pctrade.ledger.journal import Entry, JsonDict, format_ts
from pctrade.ledger.model import Account, HolderType, Party, Role, State
from pctrade.ledger.operations import Plan
from pctrade.ledger.ports import UnitOfWork
from pctrade.ledger.service import (
    Receipt,
    Registry,
    RowsBeside,
    account_of,
    require_holder,
)
from pctrade.ledger.write import Logged
from pctrade.market.queries import bids_in_pool_auction, pool_committed_g
from pctrade.pools import commands as c
from pctrade.pools.model import (
    POOL_ID_RE,
    PoolState,
    Terms,
    TermsVersion,
    Unsold,
    check_terms,
    draws_for_withdrawal,
    plan_pool_consent,
    plan_pool_deposit,
    plan_pool_terms,
    plan_pool_withdraw,
)
from pctrade.pools.sql import store as db
from pctrade.rules import RuleBook
from pctrade.rules.model import RuleSet

Row = dict[str, Any]


def committed_g(uow: UnitOfWork, pool_id: str) -> int:
    """Grams of the pool that open market sells of it have committed: open sell orders'
    remaining and open block proposals, on every contract (``market.pool_sells``). The
    market refuses a pool sell above the free units less these; a withdrawal may take
    only what is left beside them."""
    return pool_committed_g(uow, pool_id)


def pool_row(uow: UnitOfWork, pool_id: str, *, lock: bool = False) -> Row:
    row = db.pool(uow, pool_id, lock=lock) if POOL_ID_RE.match(pool_id) else None
    if row is None:
        raise NotFound(f"no pool {pool_id}", code="unknown_pool")
    return row


def terms_of(uow: UnitOfWork, pool_id: str, version: int) -> Terms:
    row = db.terms_version(uow, pool_id, version) if 0 < version <= INT32_MAX else None
    if row is None:
        raise NotFound(f"pool {pool_id} has no terms version {version}", code="unknown_terms")
    return Terms.from_json(_json(row["terms"]))


def _json(text: str) -> JsonDict:
    body: JsonDict = json.loads(text)
    return body


def _moment(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(UTC)


def _require_platform_of(who: Party, pool: Row) -> None:
    if who.party_id != pool["platform_party"]:
        raise Forbidden(
            f"{who.party_id} is not the platform of {pool['pool_id']}", code="not_pool_platform"
        )


def _write_terms(uow: UnitOfWork, entry: Entry) -> None:
    """A ``pool_terms`` entry's rows: the pool (on version 1), the version, the current."""
    p = entry.header.payload
    terms = Terms.from_json(p["terms"])
    if p["version"] == 1:
        db.insert_pool(
            uow,
            {
                "pool_id": p["pool_id"],
                "name": p["name"],
                "platform_party": entry.header.actor,
                "platform_account": p["platform_account"],
                # POOL-<jurisdiction>-NNNN: the id is numbered per jurisdiction.
                "jurisdiction": p["pool_id"].split("-")[1],
                "rule_set": p["rule_set"],
                "admitted": " ".join(terms.admitted),
                "state": PoolState.OPEN,
                "terms_version": 1,
                "opened_seq": entry.seq,
                "opened_at": entry.header.ts,
            },
        )
    else:
        db.update_pool(
            uow,
            p["pool_id"],
            terms_version=p["version"],
            rule_set=p["rule_set"],
            admitted=" ".join(terms.admitted),
        )
    db.insert_terms(
        uow,
        {
            "pool_id": p["pool_id"],
            "version": p["version"],
            "terms": terms.canonical(),
            "digest": p["terms_digest"],
            "fee_bps": terms.fee_bps,
            "rule_set": p["rule_set"],
            "rule_set_digest": p["rule_set_digest"],
            "entry_seq": entry.seq,
            "published_at": entry.header.ts,
        },
    )


def _write_deposit(uow: UnitOfWork, entry: Entry) -> None:
    p = entry.header.payload
    db.insert_deposit(
        uow,
        {
            "deposit_id": entry.seq,  # = the hold the entry opened
            "pool_id": p["pool_id"],
            "account_id": p["account"],
            "asset_id": p["asset_id"],
            "quantity_g": p["quantity_g"],
            "withdrawn_g": 0,
            "terms_version": p["terms_version"],
            "entry_seq": entry.seq,
            "deposited_at": entry.header.ts,
        },
    )


def _write_withdrawal(uow: UnitOfWork, entry: Entry) -> None:
    p = entry.header.payload
    db.add_withdrawn(uow, [(int(h["hold_id"]), -int(h["delta"])) for h in p["holds"]])
    db.clear_notice(uow, p["pool_id"], p["account"])  # a notice serves one withdrawal


def _write_consent(uow: UnitOfWork, entry: Entry) -> None:
    p = entry.header.payload
    db.insert_consent(
        uow,
        {
            "pool_id": p["pool_id"],
            "account_id": p["account"],
            "version": p["version"],
            "entry_seq": entry.seq,
            "consented_at": entry.header.ts,
        },
    )
    db.move_to_version(uow, p["deposits"], p["version"])


class Pools:
    def __init__(self, registry: Registry, rules: RuleBook) -> None:
        self.registry = registry
        self.store = registry.store
        self.rules = rules

    def _now(self) -> datetime:
        return self.registry.clock()

    def _rule_set(self, jurisdiction: str) -> RuleSet:
        return self.rules.in_force(jurisdiction, self._now().date())

    # ---- the platform's ---------------------------------------------------------------
    def open(self, actor: str, key: str, cmd: c.OpenPool) -> Receipt:
        """Open a pool under terms version 1; the receipt's payload names its id."""
        rule_set = self._rule_set(cmd.jurisdiction)
        check_terms(cmd.terms, rule_set)

        def planner(uow: UnitOfWork, who: Party) -> Plan:
            access.require_role(who, (Role.PLATFORM,), "open pools")
            account = account_of(uow, cmd.platform_account)
            if account.owner != who.party_id:
                raise Forbidden(
                    f"account {account.number} is not {who.party_id}'s", code="not_owner"
                )
            uow.head  # noqa: B018 - the head first: no other opening takes the same number
            number = db.pool_count(uow, rule_set.jurisdiction) + 1
            version = TermsVersion(
                pool_id=f"POOL-{rule_set.jurisdiction}-{number:04d}",
                version=1,
                terms=cmd.terms,
                rule_set=rule_set.version,
                rule_set_digest=rule_set.digest,
                platform_account=account.account_id,
                name=cmd.name,
            )
            return plan_pool_terms(version)

        return self.registry.journal.execute(actor, key, cmd, planner, RowsBeside(_write_terms))

    def publish_terms(self, actor: str, key: str, cmd: c.PublishTerms) -> Receipt:
        """A new version of a pool's terms, checked against the rule set in force."""

        def planner(uow: UnitOfWork, who: Party) -> Plan:
            uow.head  # noqa: B018 - the head first: versions are numbered in journal order
            pool = pool_row(uow, cmd.pool_id)
            _require_platform_of(who, pool)
            rule_set = self._rule_set(pool["jurisdiction"])
            check_terms(cmd.terms, rule_set)
            version = int(pool["terms_version"]) + 1
            behind = db.contributors_behind(uow, cmd.pool_id, version)
            if cmd.apply_to_existing and behind:
                raise Conflict(
                    f"{behind} contributors hold units under earlier terms: a change applies "
                    "to their deposits only with each one's consent (pctrade pool consent)",
                    code="consent_required",
                )
            return plan_pool_terms(
                TermsVersion(
                    pool_id=cmd.pool_id,
                    version=version,
                    terms=cmd.terms,
                    rule_set=rule_set.version,
                    rule_set_digest=rule_set.digest,
                    platform_account=int(pool["platform_account"]),
                )
            )

        return self.registry.journal.execute(actor, key, cmd, planner, RowsBeside(_write_terms))

    # ---- the contributor's ------------------------------------------------------------
    def deposit(self, actor: str, key: str, cmd: c.DepositToPool) -> Receipt:
        def planner(uow: UnitOfWork, who: Party) -> Plan:
            pool = pool_row(uow, cmd.pool_id)
            account = _contributor(uow, who, cmd.account_id)
            batch = uow.batch_named(cmd.asset)
            if batch is None:
                raise NotFound(f"no batch {cmd.asset}", code="unknown_batch")
            version = int(pool["terms_version"])
            if cmd.terms_version is not None and cmd.terms_version != version:
                raise Conflict(
                    f"{cmd.pool_id}'s terms are at version {version}, not {cmd.terms_version}: "
                    "read them again before depositing",
                    code="terms_version_stale",
                )
            if not terms_of(uow, cmd.pool_id, version).admits(batch.denomination):
                raise Conflict(
                    f"{cmd.pool_id} does not admit {batch.denomination}", code="pool_not_admitted"
                )
            if bids_in_pool_auction(uow, cmd.pool_id, account.account_id):
                raise Conflict(
                    f"account {account.account_id} bids in {cmd.pool_id}'s open auction: it "
                    "cannot also sell in it by depositing until the auction clears or the "
                    "bid is withdrawn",
                    code="bids_in_pool_auction",
                )
            plan = plan_pool_deposit(
                cmd.pool_id, account.account_id, batch.asset_id, cmd.quantity_g, version
            )
            _require_available(uow, account, batch.asset_id, cmd.quantity_g)
            return plan

        return self.registry.journal.execute(actor, key, cmd, planner, RowsBeside(_write_deposit))

    def withdraw(self, actor: str, key: str, cmd: c.WithdrawFromPool) -> Receipt:
        now = self._now()

        def planner(uow: UnitOfWork, who: Party) -> Plan:
            # The pool's row is locked as a market sell of the pool locks it, so that a
            # withdrawal and a new sell cannot both count the same free units.
            pool_row(uow, cmd.pool_id, lock=True)
            account = _contributor(uow, who, cmd.account_id)
            notice = db.notice(uow, cmd.pool_id, account.account_id)
            given = None if notice is None else _moment(notice)
            versions: dict[int, Terms] = {}  # each version read once
            mine = []
            for d in db.deposits_of(uow, cmd.pool_id, account.account_id):
                if left_g(d) > 0:
                    v = int(d["terms_version"])
                    if v not in versions:
                        versions[v] = terms_of(uow, cmd.pool_id, v)
                    mine.append(unsold_of(d, versions[v], given))
            free = db.unsold_g(uow, cmd.pool_id) - committed_g(uow, cmd.pool_id)
            draws = draws_for_withdrawal(mine, cmd.quantity_g, now, free)
            return plan_pool_withdraw(cmd.pool_id, account.account_id, draws)

        evidence = RowsBeside(_write_withdrawal)
        return self.registry.journal.execute(actor, key, cmd, planner, evidence)

    def consent(self, actor: str, key: str, cmd: c.ConsentToTerms) -> Receipt:
        def planner(uow: UnitOfWork, who: Party) -> Plan:
            pool_row(uow, cmd.pool_id)
            account = _contributor(uow, who, cmd.account_id)
            terms_of(uow, cmd.pool_id, cmd.version)  # it exists
            moving = [
                int(d["deposit_id"])
                for d in db.deposits_of(uow, cmd.pool_id, account.account_id)
                if int(d["terms_version"]) < cmd.version and left_g(d) > 0
            ]
            if not moving:
                raise Conflict(
                    f"no unsold deposit of account {account.number} in {cmd.pool_id} is under "
                    f"terms older than version {cmd.version}",
                    code="nothing_to_consent",
                )
            return plan_pool_consent(cmd.pool_id, account.account_id, cmd.version, moving)

        return self.registry.journal.execute(actor, key, cmd, planner, RowsBeside(_write_consent))

    def give_notice(self, actor: str, key: str, pool_id: str, account_id: int) -> Logged:
        """Give notice of withdrawal: unsold units whose terms require notice may be
        withdrawn once it has run (logged under the key, no entry)."""

        def work(uow: UnitOfWork, who: Party) -> JsonDict:
            pool_row(uow, pool_id)
            account = _contributor(uow, who, account_id)
            given_at = format_ts(self._now())
            db.give_notice(uow, pool_id, account.account_id, given_at)
            return {"pool_id": pool_id, "account_id": account.account_id, "given_at": given_at}

        request = c.notice_request(pool_id, account_id)
        return self.registry.journal.execute_recorded(actor, key, request, work)


def _contributor(uow: UnitOfWork, who: Party, account_id: int) -> Account:
    """The individual's account a deposit, withdrawal or consent acts on."""
    account = account_of(uow, account_id)
    require_holder(uow, who, account)
    if account.holder_type != HolderType.INDIVIDUAL:
        raise Forbidden(
            f"account {account.number} is not an individual's: pools take individuals' "
            "personal credits",
            code="pool_individuals_only",
        )
    return account


def left_g(d: Row) -> int:
    return int(d["quantity_g"]) - int(d["withdrawn_g"]) - int(d["sold_g"])


def unsold_of(d: Row, terms: Terms, notice_at: datetime | None) -> Unsold:
    """A deposit with what it has left and when its own terms (``terms``) let it leave."""
    unlocked = terms.lock_in_ends(_moment(d["deposited_at"]))
    needs_notice = bool(terms.withdrawal_notice_days)
    if needs_notice and notice_at is not None:
        unlocked = max(unlocked, terms.notice_ends(notice_at))
    return Unsold(
        int(d["deposit_id"]),
        int(d["asset_id"]),
        left_g(d),
        unlocked,
        notice_missing=needs_notice and notice_at is None,
    )


def _require_available(uow: UnitOfWork, account: Account, asset_id: int, quantity_g: int) -> None:
    """The grams are available; if not, say whether frozen or retired grams are why."""
    available = uow.balance(account.account_id, asset_id, State.AVAILABLE)
    if available >= quantity_g:
        return
    frozen = uow.balance(account.account_id, asset_id, State.FROZEN)
    if frozen > 0 and available + frozen >= quantity_g:
        raise Conflict(
            f"account {account.number} has {available} g available; {frozen} g more are "
            "frozen (in an order, another pool or under a freeze) and cannot be deposited",
            code="units_frozen",
        )
    retired = uow.balance(account.account_id, asset_id, State.RETIRED)
    if retired > 0 and available + retired >= quantity_g:
        raise Conflict(
            f"account {account.number} has {available} g available; {retired} g more are "
            "retired for good and can never be deposited",
            code="units_retired",
        )
    raise InsufficientBalance(
        f"account {account.number} has {available} g available, needs {quantity_g}"
    )
