"""What the personal wallet (个人碳账户) shows, gathered from the contexts' reads.

Each part is the read the API's routes make for the same question, so the page and
the API can never disagree:

- energy: ``energy.service.statement`` (``GET /me/energy``) over the last 30 days, its
  lines grouped by behaviour, each with its methodology version and factor, and what
  waits for collection with the time it lapses (the rule set's 72 h);
- my trees: ``sinks.queries.mine`` (``GET /me/sinks``) with each project's offer
  (``unit_offer``: the expected removal per unit) and row (where it is);
- my PCER by batch: the account's holdings (``ledger.reads.account_view``) with each
  batch's provenance, a sink issuance (``mine``'s credits) or a carbon-inclusive one
  (``CarbonInclusive.mine``, ``GET /me/inclusive``);
- selling: ``market.selling.direct_selling``, the market's own eligibility decision;
- sponsoring: each approved sink project with units left (``sinks.queries.unit_offer``,
  ``GET /sinks/projects/{code}/offer``): its unit, price in green energy, expected removal;
- pools: ``pools.queries`` (open pools, my deposits, my standing in each pool I have
  unsold units in: what may leave now, the earliest withdrawal date under the terms'
  lock-in and notice, whether newer terms await my consent) and
  ``pools.sale_reports.statement`` (``GET /accounts/{account}/pool-statement``);
- retirements: ``ledger.reads.retirements_of``, each with its certificate's id.

All figures stay integers (grams, fen; a factor in g per unit is an exact Decimal); the
templates format them per locale.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pctrade.bootstrap import App
from pctrade.energy import service as energy
from pctrade.kernel.errors import NotFound
from pctrade.ledger import reads
from pctrade.ledger.certificates import Certificate
from pctrade.ledger.model import Party, builtin_asset, is_cash
from pctrade.ledger.queries import AccountView
from pctrade.market.model import local_time
from pctrade.market.selling import SellStanding, direct_selling
from pctrade.pools import queries as pool_queries
from pctrade.pools import sale_reports
from pctrade.sinks.queries import MyProject, UnitOffer, public_projects, unit_offer
from pctrade.sinks.queries import mine as my_projects
from pctrade.web.i18n import N_

# Each behaviour family's name as people know it (a catalogue message id).
FAMILY_LABELS = {
    "bus": N_("Bus"),
    "cycling": N_("Cycling"),
    "e_ticket": N_("E-tickets"),
    "ev_charging": N_("EV charging"),
    "home_energy": N_("Home electricity saved"),
    "metro": N_("Metro"),
    "second_hand": N_("Second-hand goods"),
    "walking": N_("Walking"),
}
# An order's side and state in words (``market.engine``'s Side and OrderState).
ORDER_LABELS = {
    "sell": N_("Sell"),
    "buy": N_("Buy"),
    "open": N_("Resting on the book"),
    "filled": N_("Filled"),
    "cancelled": N_("Cancelled order"),
}
# Each methodology's base unit as a reader writes it (a catalogue message id).
UNIT_LABELS = {
    "Wh": N_("Wh"),
    "item": N_("item"),
    "m": N_("m"),
    "step": N_("step"),
    "trip": N_("trip"),
}
# Each failed eligibility condition in words (``market.eligibility.Condition``).
CONDITION_LABELS = {
    "role_not_admitted": N_("Your role does not trade on the order book."),
    "no_facts_recorded": N_("No real-name facts are recorded for you."),
    "real_name_not_verified": N_("Your real name is not verified."),
    "under_age": N_("You are younger than the minimum age."),
    "no_birth_date": N_("No date of birth is recorded."),
    "no_risk_assessment": N_("No risk assessment is recorded."),
    "holding_below_min": N_("You hold less of the contract than the minimum to sell directly."),
    "net_assets_below_min": N_("Net assets are below the minimum."),
}
UG_PER_G = 1_000_000
STATEMENT_DAYS = 30  # the energy statement's window, as ``GET /me/energy`` by default
TREES_SHOWN_MAX = 100
CREDITS_SHOWN_MAX = 100
POOLS_SHOWN_MAX = 100
STATEMENT_LINES_SHOWN = 100


@dataclass(frozen=True, slots=True)
class BehaviourLine:
    """The energy one behaviour earned in the window, traced to its methodology."""

    behaviour: str
    family: str
    methodology: str  # family/version, e.g. metro/v1
    base_unit: str
    factor_ug_per_unit: int
    events_n: int
    quantity: int
    credited_g: int

    @property
    def factor_g_per_unit(self) -> Decimal:
        """The factor in grams per base unit, exactly (the lines keep micrograms)."""
        return (Decimal(self.factor_ug_per_unit) / UG_PER_G).normalize()


@dataclass(frozen=True, slots=True)
class EnergyView:
    day_from: str
    day_to: str
    today_g: int
    month_g: int
    window_g: int
    available_g: int
    uncollected_g: int
    spent_g: int
    expired_g: int
    expiry_s: int
    rule_set: str
    behaviours: list[BehaviourLine]
    days: list[tuple[str, int]]  # (day, credited g), oldest first
    pending: list[energy.PendingCredit]
    innate: energy.Innate


@dataclass(frozen=True, slots=True)
class Tree:
    """A sink project I sponsored: where it is, my units, what they should remove."""

    code: str
    name: str
    forest_type: str
    jurisdiction: str
    status: str
    units: int
    energy_g: int
    expected_removal_g: int | None  # my units' expected removal over the crediting period
    crediting: tuple[str, str]
    project_verified_g: int  # the project's verified removals so far
    credited_g: int  # what those verifications credited to me
    issue_seqs: list[int]


@dataclass(frozen=True, slots=True)
class BatchHolding:
    """What I hold of one credit batch, per state, and where the batch came from."""

    batch: str
    available_g: int
    frozen_g: int
    source: str  # sink | inclusive | other
    detail: str  # the project, or the programme's methodologies and period
    rule_set: str
    issue_seq: int | None  # the issuance entry (its certificate)


@dataclass(frozen=True, slots=True)
class WalletView:
    party: Party
    account_id: int
    account_number: str
    today: date
    cash_fen: int
    energy: EnergyView
    trees: list[Tree]
    credits: list[BatchHolding]
    selling: list[SellStanding]
    open_pools: list[dict[str, Any]]
    deposits: list[dict[str, Any]]
    standings: list[pool_queries.PoolStanding]
    offers: list[UnitOffer]
    pool_statement: dict[str, Any]
    retirements: list[Certificate]
    acquired_g: int = field(default=0)  # 后天: credits held, every state


def _energy(app: App, account_id: int, today: date) -> EnergyView:
    first = today - timedelta(days=STATEMENT_DAYS - 1)
    st = energy.statement(app.store, account_id, first, today, now=app.clock(), rules=app.rules)
    grouped: dict[tuple[str, str, str, str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    per_day: dict[str, int] = defaultdict(int)
    for item in st.lines:
        line = item.line
        key = (line.behaviour, line.family, line.methodology, line.base_unit)
        sums = grouped[(*key, line.factor_ug_per_unit)]
        sums[0] += line.events_n
        sums[1] += line.quantity
        sums[2] += line.credited_g
        per_day[line.day] += line.credited_g
    behaviours = [
        BehaviourLine(k[0], k[1], k[2], k[3], k[4], v[0], v[1], v[2])
        for k, v in sorted(grouped.items(), key=lambda kv: (-kv[1][2], kv[0]))
    ]
    month = today.isoformat()[:7]
    pending = st.pending
    return EnergyView(
        st.day_from,
        st.day_to,
        per_day.get(today.isoformat(), 0),
        sum(g for d, g in per_day.items() if d.startswith(month)),
        st.credited_g,
        st.available_g,
        st.uncollected_g,
        st.spent_g,
        st.expired_g,
        pending.expiry_s if pending else 0,
        pending.rule_set if pending else "",
        behaviours,
        sorted(per_day.items()),
        list(pending.credits) if pending else [],
        st.innate,
    )


def _trees(app: App, projects: list[MyProject]) -> list[Tree]:
    out: list[Tree] = []
    for p in projects:
        offer = unit_offer(app.registry, p.code)
        row = app.sinks.project(p.code)
        per_unit = offer.expected_removal_g
        out.append(
            Tree(
                p.code,
                p.name,
                p.forest_type,
                str(row["jurisdiction"]),
                p.status,
                p.units,
                p.energy_g,
                None if per_unit is None else per_unit * p.units,
                (offer.crediting_start, offer.crediting_end),
                p.verified_g,
                p.credited_g,
                [c.issue_seq for c in p.credits],
            )
        )
    return out


def _credits(
    app: App, view: AccountView, account_id: int, projects: list[MyProject]
) -> list[BatchHolding]:
    held: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for h in view.holdings:
        if builtin_asset(h.asset) is None:  # a credit batch, not cash or energy
            held[h.asset][h.state] += h.amount
    sources: dict[str, tuple[str, str, str, int | None]] = {}
    for p in projects:
        for c in p.credits:
            sources[c.batch] = ("sink", f"{p.code} {p.name}", "", c.issue_seq)
    for m in app.inclusive.mine(account_id, 0, CREDITS_SHOWN_MAX).items:
        detail = f"{', '.join(m.methodologies)} · {m.period_start} – {m.period_end}"
        sources[m.batch] = ("inclusive", detail, m.rule_set, m.issue_seq)
    out = []
    for batch, states in sorted(held.items()):
        source, detail, rule_set, seq = sources.get(batch, ("other", "", "", None))
        out.append(
            BatchHolding(
                batch,
                states.get("available", 0),
                states.get("frozen", 0),
                source,
                detail,
                rule_set,
                seq,
            )
        )
    return out[:CREDITS_SHOWN_MAX]


def _cash_fen(view: AccountView) -> int:
    return sum(h.amount for h in view.holdings if is_cash(h.asset) and h.state == "available")


def _open_pools(app: App) -> list[dict[str, Any]]:
    page = pool_queries.list_pools(app.store, "", POOLS_SHOWN_MAX)
    return [
        pool_queries.public_page(app.store, str(r["pool_id"]))
        for r in page.items
        if r["state"] == "open"
    ]


def _offers(app: App) -> list[UnitOffer]:
    """The sink projects open to sponsors now: approved, with units left."""
    codes = [p.code for p in public_projects(app.store) if p.status == "approved"]
    return [o for o in (unit_offer(app.registry, c) for c in codes) if o.units_left > 0]


def _standings(
    app: App, actor: str, account_id: int, deposits: list[dict[str, Any]]
) -> list[pool_queries.PoolStanding]:
    """My standing in each pool where I still have unsold units."""
    pools = sorted({str(d["pool_id"]) for d in deposits if int(d["remaining_g"]) > 0})
    now = app.clock()
    return [pool_queries.pool_standing(app.store, actor, p, account_id, now) for p in pools]


def trading_day(app: App) -> date:
    """The day the market trades on now (China Standard Time), the wallet's "today"."""
    return local_time(app.clock())[0]


def gather(app: App, party: Party) -> WalletView:
    """Everything the wallet shows ``party`` (an individual), read now."""
    account_id = reads.own_individual_account(app.store, party.party_id)
    with app.store.reader() as uow:
        account = uow.account(account_id)
    if account is None:
        raise NotFound(f"no account {account_id}", code="unknown_account")
    today = trading_day(app)
    projects = my_projects(app.registry, account_id, "", TREES_SHOWN_MAX).items
    holdings = reads.account_view(app.store, party, account_id)
    credits = _credits(app, holdings, account_id, projects)
    deposits = pool_queries.my_deposits(app.store, party.party_id, account_id, 0, POOLS_SHOWN_MAX)
    statement = sale_reports.statement(
        app.store, party.party_id, account_id, None, STATEMENT_LINES_SHOWN
    )
    return WalletView(
        party=party,
        account_id=account_id,
        account_number=account.number,
        today=today,
        cash_fen=_cash_fen(holdings),
        energy=_energy(app, account_id, today),
        trees=_trees(app, projects),
        credits=credits,
        selling=direct_selling(app.store, app.rules, party.party_id, account_id, today),
        open_pools=_open_pools(app),
        deposits=deposits.items,
        standings=_standings(app, party.party_id, account_id, deposits.items),
        offers=_offers(app),
        pool_statement=statement,
        retirements=reads.retirements_of(app.store, party, account_id),
        acquired_g=sum(c.available_g + c.frozen_g for c in credits),
    )


def energy_chart_option(view: EnergyView, label: Callable[[str], str]) -> dict[str, Any]:
    """The ECharts option of the energy-by-behaviour bar chart (grams per behaviour),
    each bar named by ``label`` of its family (the page's language)."""
    names = [label(FAMILY_LABELS.get(b.family, b.family)) for b in view.behaviours]
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 8, "bottom": 8, "top": 24, "containLabel": True},
        "xAxis": {"type": "value", "name": "g"},
        "yAxis": {"type": "category", "data": names, "inverse": True},
        "series": [
            {
                "type": "bar",
                "name": "g",
                "data": [b.credited_g for b in view.behaviours],
                "itemStyle": {"color": "#1b7a43"},
            }
        ],
    }


def daily_chart_option(view: EnergyView) -> dict[str, Any]:
    """The ECharts option of the energy-by-day bar chart (grams credited each day)."""
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 8, "bottom": 8, "top": 24, "containLabel": True},
        "xAxis": {"type": "category", "data": [day for day, _ in view.days]},
        "yAxis": {"type": "value", "name": "g"},
        "series": [
            {
                "type": "bar",
                "name": "g",
                "data": [grams for _, grams in view.days],
                "itemStyle": {"color": "#0b6b3a"},
            }
        ],
    }


def expires_in_s(credit: energy.PendingCredit, now: datetime) -> int:
    """Seconds until an uncollected credit lapses (0 once it has)."""
    left = datetime.fromisoformat(credit.expires_at) - now
    return max(0, int(left.total_seconds()))
