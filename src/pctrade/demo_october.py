"""The demo's October: the registry's everyday operations on what the summer issued.

On the scenario clock (the steps of ``pctrade.demo``): cash is deposited — the asset
manager's and the cement works' enough for November's block trade and auction; then
allowances, offsets and personal credits change hands over the counter (each sale two
transfers: the credits, then the cash) and one person gives credits to another; the
regulator freezes and releases an individual's credits during a data review; the
carbon-inclusive platform opens a pool (平台整合) under Guangdong's rules, and two
people who cannot trade on their own deposit PCER into it (``pctrade.pools``: each
deposit stays theirs, frozen in a ``pool`` hold); the power company surrenders for 2025; a fire's
reversal cancels the credits' share of the loss from the project's buffer.
"""

from __future__ import annotations

from pctrade.demo_seeder import (
    BURNT_PERCENT,
    CCER,
    CEA,
    CEMENT,
    EMITTER,
    FOREST,
    INSTITUTION,
    PLATFORM,
    PROJECT,
    REGULATOR,
    Seeder,
    utc,
)
from pctrade.kernel.units import FEN_PER_YUAN, G_PER_T
from pctrade.ledger import commands as c
from pctrade.ledger.model import CASH_NAME, SYSTEM_OWNER
from pctrade.ledger.operations import FreezeReason
from pctrade.pools import commands as pools
from pctrade.pools.model import Terms

# Yuan each party deposits. The asset manager funds the autumn's purchases and its
# bids; the cement works its block purchase (about ¥5.8 million) and its bids.
DEPOSITS_YUAN = {INSTITUTION: 2_000_000, EMITTER: 800_000, CEMENT: 7_000_000}
PERSON_DEPOSIT_YUAN = 200

# The platform's pool terms: every term Guangdong requires published ([pools]
# disclosures), its fee under the cap, its lock-in, notice and payout within the limits.
POOL_TERMS = Terms(
    admitted=("PCER-GD",),
    fee_bps=500,  # 5 % of the proceeds
    floor_fen_per_t=5_000,  # never sold below ¥50/t
    draw_order="pro_rata",
    sale_schedule="sold to key emitters through the exchange, monthly",
    payout_delay_days=5,
    withdrawal_notice_days=3,
    lock_in_days=30,
)


def deposit_cash(s: Seeder) -> None:
    s.clock.now = utc(2026, 10, 16, 2)
    deposits = list(DEPOSITS_YUAN.items())
    deposits += [(s.person(i), PERSON_DEPOSIT_YUAN) for i in range(min(10, s.result.people))]
    for party, yuan in deposits:
        cmd = c.Deposit(s.acct(party), yuan * FEN_PER_YUAN, f"BANK-{party.upper()}")
        s.record(s.registry.deposit(SYSTEM_OWNER, f"demo:deposit:{party}", cmd))


def _sale(s: Seeder, key: str, seller: str, buyer: str, asset: str, g: int, fen: int) -> None:
    """A bilateral sale: credits to the buyer, then cash to the seller."""
    goods = c.Transfer(s.acct(seller), s.acct(buyer), asset, g)
    s.record(s.registry.transfer(seller, f"demo:{key}:goods", goods))
    cash = c.Transfer(s.acct(buyer), s.acct(seller), CASH_NAME, fen)
    s.record(s.registry.transfer(buyer, f"demo:{key}:cash", cash))


def trade(s: Seeder) -> None:
    s.clock.now = utc(2026, 10, 20, 2)
    # 10,000 t of allowances at ¥60/t; 6,000 t of forest CCER at ¥70/t.
    _sale(s, "sale:cea", EMITTER, INSTITUTION, CEA, 10_000 * G_PER_T, 600_000_00)
    _sale(s, "sale:ccer", FOREST, EMITTER, CCER, 6_000 * G_PER_T, 420_000_00)
    # An individual sells half her PCER at ¥80/t; another gives a quarter to a friend.
    pcer, seller, giver = s.result.pcer, s.holder(3), s.holder(1)
    sold_g = max(1, s.issued_to(seller) // 2)
    price_fen = max(1, sold_g * 80_00 // G_PER_T)
    _sale(s, "sale:pcer", seller, INSTITUTION, pcer, sold_g, price_fen)
    gift_g = max(1, s.issued_to(giver) // 4)
    gift = c.Transfer(s.acct(giver), s.acct(s.holder(2)), pcer, gift_g)
    s.record(s.registry.transfer(giver, "demo:gift:pcer", gift))


def freeze_and_release(s: Seeder) -> None:
    """A regulator freeze during a data review, released; then the platform's pool."""
    s.clock.now = utc(2026, 10, 22, 2)
    pcer, reviewed = s.result.pcer, s.holder(0)
    review_g = max(1, s.issued_to(reviewed) // 10)
    cmd = c.Freeze(s.acct(reviewed), pcer, review_g, FreezeReason.REGULATOR, "MEE-2026-1022 review")
    hold = s.record(s.registry.freeze(REGULATOR, "demo:freeze:review", cmd))
    release = c.Unfreeze(hold.seq)
    s.record(s.registry.unfreeze(REGULATOR, "demo:unfreeze:review", release))
    pool_deposits(s)


def pool_deposits(s: Seeder) -> None:
    """The platform opens its pool; two people without the standing to trade directly
    (no verified real name or risk assessment) deposit PCER into it: half of what the
    first was issued, a quarter of what the second was (who gave a quarter away)."""
    opening = pools.OpenPool(
        s.acct(PLATFORM), "GD", "粤碳普惠个人减排量池 GD personal credit pool", POOL_TERMS
    )
    pool_id = str(
        s.record(s.app.pools.open(PLATFORM, "demo:pool:open", opening)).payload["pool_id"]
    )
    s.result.pool_id = pool_id
    for k, share in ((0, 2), (1, 4)):
        who = s.holder(k)
        grams = max(1, s.issued_to(who) // share)
        cmd = pools.DepositToPool(pool_id, s.acct(who), s.result.pcer, grams)
        s.record(s.app.pools.deposit(who, f"demo:pool:deposit:{who}", cmd))


def surrender(s: Seeder) -> None:
    s.clock.now = utc(2026, 10, 25, 2)
    emitter = s.acct(EMITTER)
    cea = c.Surrender(emitter, CEA, 100_000 * G_PER_T, "2025")
    s.record(s.registry.surrender(EMITTER, "demo:surrender:cea", cea))
    ccer = c.Surrender(emitter, CCER, 5_000 * G_PER_T, "2025")
    s.record(s.registry.surrender(EMITTER, "demo:surrender:ccer", ccer))


def reversal(s: Seeder) -> None:
    """A fire burns part of the stand: its removals are cancelled from the buffer."""
    s.clock.now = utc(2026, 10, 28, 2)
    issuance = s.result.sink_issuance
    assert issuance is not None
    loss_g = issuance.removals_g * BURNT_PERCENT // 100
    cause = "山火 Fire in compartment 12"
    before = s.head()
    s.result.reversal = s.sinks.reverse(REGULATOR, "demo:reversal:fire", PROJECT, loss_g, cause)
    s.count(replayed=s.head() == before)
