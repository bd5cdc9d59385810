"""Green-energy use cases: post a quantified day, expire old energy, read a statement.

The quantification pipeline (``pctrade.energy.pipeline.quantify_file``) turns one day's
behaviour events into energy rows per (person, behaviour); ``post_day`` records them in
the registry as ONE bulk ``energy_credit`` entry whose statement lines are those rows,
each naming its methodology version and the factor applied. People without an
individual account are reported, never dropped silently. Posting the same result again
is harmless: the idempotency key is derived from the day and the result's digest.
In the same transaction it remembers every credited and held event by (partner, event
id) and content digest (``behaviour_events_seen``): ``judged_before`` hands them to the
next run, which rejects their copies, and ``is_day_credited`` makes a rerun of a credited
day refuse each late event by itself (``day_already_credited``). A held event keeps its
key: resubmitting it cannot bypass review; the held events themselves, with what each
would earn, are kept for review in the same transaction (``services.review`` releases
or rejects them).

``collect`` collects a holder's uncollected energy (one ``energy_collect`` entry) and
``pending`` shows what waits for collection and when each credit lapses; ``expire``
lapses every holder's uncollected energy older than the expiry period in one bulk
``energy_expire`` entry. Unless the caller gives a period, it is the one of the rule
set in force (``rules``; the national one, 72 h as Ant Forest, by default), and the
entry cites it. ``statement`` shows the lines, the balance (uncollected / collected /
spent / expired), what is pending collection and, beside it as information only, the
person's innate per-capita entitlement (先天), a cited figure read from a data file.
``year_to_date`` feeds the yearly caps of the next quantification.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa

from pctrade.energy import commands as c
from pctrade.energy import seen_window
from pctrade.energy.behaviour.model import PartnerAnomaly
from pctrade.energy.entries import (
    collect_energy,
    collectable,
    credit_energy,
    expire_energy,
    spend_energy,
)
from pctrade.energy.model import ENERGY_EXPIRY_S_DEFAULT, EnergyCredit, EnergyLine, KeptFile
from pctrade.energy.pipeline.run import QuantifyResult
from pctrade.energy.pipeline.schema import YEAR_TO_DATE
from pctrade.energy.posting import (
    UNMATCHED_LISTED_MAX,
    held_rows,
    post_day_columns,
    require_events,
)
from pctrade.energy.posting import (
    PostDayReport as PostDayReport,  # callers name it here
)
from pctrade.energy.sql import collections as collections_store
from pctrade.energy.sql import held as held_store
from pctrade.energy.sql import lines as lines_store
from pctrade.energy.sql import seen as behaviour_store
from pctrade.kernel.errors import NotFound, ValidationError
from pctrade.ledger import access
from pctrade.ledger.invariants import Problem
from pctrade.ledger.journal import format_ts
from pctrade.ledger.model import (
    ENERGY_ASSET,
    ENERGY_STATES,
    AccountId,
    Party,
    Seq,
    State,
    account_number,
)
from pctrade.ledger.operations import REGISTRY_PARTY
from pctrade.ledger.ports import Store, UnitOfWork
from pctrade.ledger.service import Receipt, Registry
from pctrade.ledger.write import RowsBeside
from pctrade.rules import DEFAULT_JURISDICTION, RuleBook

STATEMENT_DAYS_MAX = 366
# How far back remembered events are loaded into a run: an identical copy of an older
# event is refused anyway (`not_on_day`); only a reused id with new content would pass.
SEEN_DAYS_MAX = 400
# From this many energy rows on, a day is posted set-based (``energy.posting``): below
# it the row-wise post is as fast, and its objects are few.
SET_BASED_LINES_MIN = 20_000
_LINE_FIELDS = EnergyLine._fields[2:]  # the energy table's columns we keep, after day/account


def _lines_by_person(result: QuantifyResult) -> tuple[str, list[dict[str, Any]]]:
    """The energy rows in a canonical order (person, family, behaviour), as dicts."""
    table = result.energy.sort_by(
        [("person_id", "ascending"), ("family", "ascending"), ("behaviour", "ascending")]
    )
    columns = {name: table.column(name).to_pylist() for name in _LINE_FIELDS}
    rows = [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]
    return result.day.isoformat(), rows


def _to_lines(
    day: str, rows: list[dict[str, Any]], accounts: dict[str, AccountId]
) -> tuple[list[EnergyLine], dict[str, int]]:
    """Lines for people with an account; credited grams of those without one."""
    lines: list[EnergyLine] = []
    unmatched: dict[str, int] = {}
    for row in rows:
        account_id = accounts.get(row["person_id"])
        if account_id is None:
            unmatched[row["person_id"]] = unmatched.get(row["person_id"], 0) + row["credited_g"]
            continue
        row["cap_flag"] = row["cap_flag"] or ""  # no flag is stored as the empty string
        lines.append(EnergyLine(day=day, account_id=account_id, **row))
    return lines, unmatched


def post_day(
    registry: Registry,
    result: QuantifyResult,
    actor: str = REGISTRY_PARTY.party_id,
    *,
    kept: Sequence[KeptFile] = (),
    set_based: bool | None = None,
) -> PostDayReport:
    """Credit one quantified day as one bulk entry; report people without an account.

    ``result`` must carry its ``credited_events`` (``quantify_file(with_events=True)``):
    they are remembered, with the held events, in the entry's transaction. ``kept``: the
    data folder's files the day was quantified from and wrote (``energy.kept``), which
    the entry records for ``verify``. ``set_based``: post on columns (``energy.posting``)
    rather than row by row; by default, a day of ``SET_BASED_LINES_MIN`` lines or more
    is. Both give the same registry state, and the same entry.
    """
    if set_based is None:
        set_based = result.energy.num_rows >= SET_BASED_LINES_MIN
    if set_based:
        return post_day_columns(registry, result, actor, kept)
    day, rows = _lines_by_person(result)
    people = sorted({r["person_id"] for r in rows})
    with registry.store.reader() as uow:
        accounts = uow.individual_accounts(people)
    lines, unmatched = _to_lines(day, rows, accounts)
    judged = _judged(result, set(accounts))
    held = held_rows(result)
    credited_g = sum(line.credited_g for line in lines)
    seq, replayed = None, False
    if credited_g > 0:
        credit = EnergyCredit(day, result.methodologies, result.as_of_ms, lines, kept)
        cmd = c.CreditEnergy(credit)
        key = f"energy-credit-{day}-{cmd.fingerprint()[:40]}"

        def remember(uow: UnitOfWork, entry: Any) -> None:
            behaviour_store.remember(uow, judged, entry.seq)
            held_store.keep(uow, held, entry.seq)

        receipt = credit_energy(registry, actor, key, cmd, evidence=RowsBeside(remember))
        seq, replayed = receipt.seq, receipt.replayed
    elif judged:
        with registry.store.writer() as uow:
            behaviour_store.remember(uow, judged, None, replay_ok=True)
            held_store.keep(uow, held, None, replay_ok=True)
            uow.commit()
    return PostDayReport(
        day=day,
        seq=seq,
        replayed=replayed,
        lines=len(lines) if seq is not None else 0,
        people=len({line.account_id for line in lines}) if seq is not None else 0,
        credited_g=credited_g if seq is not None else 0,
        unmatched_people=len(unmatched),
        unmatched_g=sum(unmatched.values()),
        unmatched_sample=sorted(unmatched)[:UNMATCHED_LISTED_MAX],
        remembered=len(judged),
    )


def _judged(result: QuantifyResult, with_account: set[str]) -> list[behaviour_store.SeenRow]:
    """The keys to remember: credited events (by whether their person has an account)
    and held ones."""
    day = result.day.isoformat()
    rows: list[behaviour_store.SeenRow] = []
    credited = require_events(result).select(["partner_id", "event_id", "digest", "person_id"])
    for partner, event, digest, person in zip(
        *(col.to_pylist() for col in credited.columns), strict=True
    ):
        outcome = "credited" if person in with_account else "no_account"
        rows.append((partner, event, digest, day, outcome))
    held = result.held.select(["partner_id", "event_id", "digest"])
    for partner, event, digest in zip(*(col.to_pylist() for col in held.columns), strict=True):
        rows.append((partner, event, digest, day, "held"))
    return rows


def judged_before(store: Store, day: date, events: Path | None = None) -> pa.Table:
    """Events earlier runs credited or held (schema ``SEEN``): a run's ``seen`` input.

    With ``events`` (the run's event file), only the keys dedupe can use: those of its
    events judged within the window (``energy.seen_window``); the run decides the same.
    """
    day_from = (day - timedelta(days=SEEN_DAYS_MAX)).isoformat()
    keys = None if events is None else seen_window.file_keys(events)
    with store.reader() as uow:
        if keys is None:
            return behaviour_store.seen_since(uow, day_from)
        return behaviour_store.seen_of_keys(uow, keys, day_from)


def verify_credit(store: Store, seq: Seq) -> list[Problem]:
    """``verify``'s check of one ``energy_credit`` entry: its stored lines against the
    digest its payload records (the whole journal need not be replayed for one day)."""
    with store.reader() as uow:
        return lines_store.audit_credit(uow, seq)


def is_day_credited(store: Store, day: date) -> bool:
    """Whether ``day``'s energy was credited already (then its late events are refused)."""
    return credit_entry_of(store, day) is not None


def credit_entry_of(store: Store, day: date) -> Seq | None:
    """The ``energy_credit`` entry that credited ``day``, if one did."""
    with store.reader() as uow:
        return lines_store.credit_of_day(uow, day.isoformat())


@dataclass(frozen=True, slots=True)
class RegistryLedger:
    """``ingest.Ledger`` answered from the registry: credited days and judged events."""

    store: Store

    def credited_days(self, days: list[str]) -> set[str]:
        with self.store.reader() as uow:
            return behaviour_store.credited_days(uow, days)

    def seen(self, partner_id: str, event_ids: list[str]) -> dict[str, str]:
        with self.store.reader() as uow:
            return behaviour_store.seen_of(uow, partner_id, event_ids)


def anomaly_rule(rules: RuleBook, jurisdiction: str, on: date) -> tuple[PartnerAnomaly, str]:
    """The partner anomaly threshold in force, and the version of its rule set."""
    rule_set = rules.in_force(jurisdiction, on)
    limits = rule_set.require_energy()
    anomaly = PartnerAnomaly(limits.partner_min_events, limits.partner_flagged_bps_max)
    return anomaly, rule_set.version


@dataclass(frozen=True, slots=True)
class ExpiryReport:
    cutoff: str
    seq: int | None
    accounts: int
    expired_g: int
    replayed: bool = False  # the same cutoff was expired before: this is that entry
    expiry_s: int = ENERGY_EXPIRY_S_DEFAULT
    rule_set: str = ""  # the rule set the period came from ("" if the caller set it)


def expiry_rule(rules: RuleBook, jurisdiction: str, on: date) -> tuple[int, str]:
    """The expiry period in force, and the version of the rule set that sets it."""
    rule_set = rules.in_force(jurisdiction, on)
    return rule_set.require_energy().expiry_s, rule_set.version


def expire(
    registry: Registry,
    now: datetime,
    *,
    rules: RuleBook,
    expiry_s: int | None = None,
    jurisdiction: str = DEFAULT_JURISDICTION,
    actor: str = REGISTRY_PARTY.party_id,
) -> ExpiryReport:
    """Lapse all uncollected energy that appeared ``expiry_s`` or more before ``now``.

    Without ``expiry_s`` the period is that of ``jurisdiction``'s rule set in force
    (in the book ``rules``).
    """
    cutoff, expiry_s, rule_set = _cutoff(rules, now, expiry_s, jurisdiction)
    cmd = c.ExpireEnergy(cutoff, expiry_s, rule_set)
    receipt = expire_energy(registry, actor, f"energy-expire-{cutoff}", cmd)
    if receipt is None:
        return ExpiryReport(cutoff, None, 0, 0, expiry_s=expiry_s, rule_set=rule_set)
    p = receipt.payload
    return ExpiryReport(
        cutoff,
        receipt.seq,
        int(p["accounts"]),
        int(p["expired_g"]),
        receipt.replayed,
        int(p["expiry_s"]),
        str(p.get("rule_set", "")),
    )


@dataclass(frozen=True, slots=True)
class PendingCredit:
    """One credit waiting for collection: its entry, when, how much, and when it lapses."""

    seq: int
    credited_at: str
    credited_g: int
    expires_at: str


@dataclass(frozen=True, slots=True)
class Pending:
    """A holder's uncollected energy now: what can be collected, credit by credit, and
    what is already past the expiry period (it lapses at the next collection or run)."""

    account_id: AccountId
    account_number: str
    uncollected_g: int
    collectable_g: int
    lapsed_g: int  # past the expiry period: lapses at the next collection or expiry run
    expiry_s: int
    rule_set: str
    credits: list[PendingCredit]


def _cutoff(
    rules: RuleBook, now: datetime, expiry_s: int | None, jurisdiction: str
) -> tuple[str, int, str]:
    rule_set = ""
    if expiry_s is None:
        expiry_s, rule_set = expiry_rule(rules, jurisdiction, now.date())
    if expiry_s <= 0:
        raise ValidationError("the expiry period must be positive", code="non_positive")
    return format_ts(now - timedelta(seconds=expiry_s)), expiry_s, rule_set


def pending(
    store: Store,
    account_id: AccountId,
    now: datetime,
    *,
    rules: RuleBook,
    expiry_s: int | None = None,
    jurisdiction: str = DEFAULT_JURISDICTION,
    reader: Party | None = None,
) -> Pending:
    """What ``account_id`` may collect at ``now``, each credit with its expiry time.

    ``reader``: the party asking, who must be the holder, an agent or an authority.
    """
    cutoff, expiry_s, rule_set = _cutoff(rules, now, expiry_s, jurisdiction)
    with store.reader() as uow:
        account = uow.account(account_id)
        if account is None:
            raise NotFound(f"no account {account_id}", code="unknown_account")
        if reader is not None:
            access.require_account_reader(reader, account, uow.agents(account_id))
        found = collectable(uow, account, cutoff)
        credits = collections_store.credits_since(uow, account_id, found.since_seq)
    # The collectable credits are the newest ones making up ``valid_g`` (all of them,
    # unless an expiry run under a shorter period lapsed some).
    shown: list[PendingCredit] = []
    left = found.valid_g
    for credit in reversed([k for k in credits if k.ts > cutoff]):
        if left <= 0:
            break
        grams = min(left, credit.credited_g)
        expires = format_ts(datetime.fromisoformat(credit.ts) + timedelta(seconds=expiry_s))
        shown.append(PendingCredit(credit.seq, credit.ts, grams, expires))
        left -= grams
    shown.reverse()
    return Pending(
        account_id,
        account.number,
        found.uncollected_g,
        found.valid_g,
        found.lapsed_g,
        expiry_s,
        rule_set,
        shown,
    )


@dataclass(frozen=True, slots=True)
class CollectReport:
    seq: int
    replayed: bool
    account_id: AccountId
    collected_g: int
    lapsed_g: int
    cutoff: str
    expiry_s: int
    rule_set: str
    receipt: Receipt


def collect(
    registry: Registry,
    actor: str,
    key: str,
    account_id: AccountId,
    now: datetime,
    *,
    rules: RuleBook,
    expiry_s: int | None = None,
    jurisdiction: str = DEFAULT_JURISDICTION,
) -> CollectReport:
    """Collect ``account_id``'s uncollected energy at ``now`` (the holder or its agent).

    What is younger than the expiry period (the rule set's in force, unless given) moves
    to available; what is older lapses in the same entry.
    """
    cutoff, expiry_s, rule_set = _cutoff(rules, now, expiry_s, jurisdiction)
    cmd = c.CollectEnergy(account_id)
    receipt = collect_energy(
        registry, actor, key, cmd, cutoff=cutoff, expiry_s=expiry_s, rule_set=rule_set
    )
    p = receipt.payload
    return CollectReport(
        receipt.seq,
        receipt.replayed,
        int(p["account"]),
        int(p["collected_g"]),
        int(p["lapsed_g"]),
        str(p["cutoff"]),
        int(p["expiry_s"]),
        str(p.get("rule_set", "")),
        receipt,
    )


def spend(
    registry: Registry,
    actor: str,
    key: str,
    account_id: AccountId,
    quantity_g: int,
    purpose: str,
    reference: str,
) -> int:
    """Consume energy once (e.g. a sink sponsorship); returns the entry's seq."""
    return spend_receipt(registry, actor, key, account_id, quantity_g, purpose, reference).seq


def spend_receipt(
    registry: Registry,
    actor: str,
    key: str,
    account_id: AccountId,
    quantity_g: int,
    purpose: str,
    reference: str,
) -> Receipt:
    """``spend``, answering with the receipt (the entry, and whether it is a replay)."""
    cmd = c.SpendEnergy(account_id, quantity_g, purpose, reference)
    return spend_energy(registry, actor, key, cmd)


@dataclass(frozen=True, slots=True)
class Innate:
    """The innate per-capita entitlement (先天): information, never a holding."""

    entitlement_g: int
    period: str
    sources: list[str]
    assumption: bool


@cache
def innate_entitlement() -> Innate:
    text = (resources.files("pctrade.energy") / "data" / "innate_entitlement.toml").read_text(
        encoding="utf-8"
    )
    raw = tomllib.loads(text)
    sources = [f"{s['figure']} — {s['publisher']}" for s in raw["source"].values()]
    return Innate(int(raw["entitlement_g"]), str(raw["period"]), sources, bool(raw["assumption"]))


@dataclass(frozen=True, slots=True)
class StatementLine:
    seq: int
    line: EnergyLine


@dataclass(frozen=True, slots=True)
class EnergyStatement:
    account_id: AccountId
    account_number: str
    day_from: str
    day_to: str
    lines: list[StatementLine]
    available_g: int  # collected and not spent
    spent_g: int
    expired_g: int
    innate: Innate
    uncollected_g: int = 0
    pending: Pending | None = None  # what waits for collection, with its expiry times

    @property
    def credited_g(self) -> int:
        return sum(s.line.credited_g for s in self.lines)


def statement(
    store: Store,
    account_id: AccountId,
    day_from: date,
    day_to: date,
    *,
    now: datetime | None = None,
    rules: RuleBook | None = None,
    jurisdiction: str = DEFAULT_JURISDICTION,
) -> EnergyStatement:
    """Lines credited to an account between two days (inclusive), and its balance now.

    With ``now`` and ``rules``, the statement also shows what is pending collection.
    """
    if day_to < day_from:
        raise ValidationError("the statement ends before it starts", code="bad_range")
    if (day_to - day_from).days >= STATEMENT_DAYS_MAX:
        raise ValidationError(
            f"a statement covers at most {STATEMENT_DAYS_MAX} days", code="bad_range"
        )
    with store.reader() as uow:
        account = uow.account(account_id)
        if account is None:
            raise NotFound(f"no account {account_id}", code="unknown_account")
        rows = lines_store.lines_of(uow, account_id, day_from.isoformat(), day_to.isoformat())
        balance = {s: uow.balance(account_id, ENERGY_ASSET, s) for s in ENERGY_STATES}
    lines = [StatementLine(int(r[0]), EnergyLine(*r[1:])) for r in rows]
    return EnergyStatement(
        account_id,
        account_number(account_id, account.holder_type),
        day_from.isoformat(),
        day_to.isoformat(),
        lines,
        balance[State.AVAILABLE],
        balance[State.SPENT],
        balance[State.EXPIRED],
        innate_entitlement(),
        balance[State.UNCOLLECTED],
        None
        if now is None or rules is None
        else pending(store, account_id, now, rules=rules, jurisdiction=jurisdiction),
    )


def year_to_date(store: Store, year: int, before: date | None = None) -> pa.Table:
    """Grams credited per (person, family) in ``year`` (before ``before``, if given).

    The result is the ``year_to_date`` input of ``quantify_file``: a day is quantified
    against what was credited on the earlier days of its year.
    """
    first = date(year, 1, 1)
    last = date(year, 12, 31) if before is None else before - timedelta(days=1)
    with store.reader() as uow:
        rows = lines_store.year_to_date(uow, first.isoformat(), last.isoformat())
    return pa.table(
        {
            "person_id": [r[0] for r in rows],
            "family": [r[1] for r in rows],
            "credited_g": [r[2] for r in rows],
        },
        schema=YEAR_TO_DATE,
    )
