"""What a contract's sellers and buyers hold: the batches that trade as the contract,
the credits an account can sell (oldest batches first, or as named, T+n respected) and
the cash it can commit. Orders, block trades and auctions all check through here.

Which batch belongs to which contract is cached (batches are never edited); an asset
an account holds that the cache does not know reloads the list.
"""

from __future__ import annotations

import threading
from datetime import date

from pctrade.kernel.errors import Conflict, InsufficientBalance, ValidationError
from pctrade.ledger.model import CASH_ASSET, Account, Batch, State
from pctrade.market.frame import _Run
from pctrade.market.model import contract_code, resale_window
from pctrade.rules.model import Trading

BATCHES_MAX = 16


class Holdings:
    """The market's checks of what an account holds of a contract (see the module)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._assets: dict[int, Batch] = {}  # every batch seen (never edited)
        self._in_contract: dict[tuple[str, int], bool] = {}

    def forget(self) -> None:
        """Drop what is known of the batches: the registry was reset."""
        with self._guard:
            self._assets = {}
            self._in_contract.clear()

    @staticmethod
    def contract_key(run: _Run) -> list[str]:
        c = run.contract
        return ["instrument", "jurisdiction", "vintage"] + (["project"] if c["project"] else [])

    def contract_batches(self, run: _Run) -> dict[int, Batch]:
        key = self.contract_key(run)
        self._assets = {b.asset_id: b for b in run.uow.batches()}
        return {
            a: b for a, b in self._assets.items() if contract_code(key, b.denomination) == run.code
        }

    def of_contract(self, run: _Run, asset_id: int) -> bool:
        """Whether the batch ``asset_id`` trades as ``run``'s contract (cached)."""
        found = self._in_contract.get((run.code, asset_id))
        if found is None:
            batch = self._assets.get(asset_id)
            if batch is None:  # a batch this process has not seen yet
                self._assets = {b.asset_id: b for b in run.uow.batches()}
                batch = self._assets.get(asset_id)
            if batch is None:
                return False
            found = contract_code(self.contract_key(run), batch.denomination) == run.code
            self._in_contract[(run.code, asset_id)] = found
        return found

    def credits(self, run: _Run, account: Account) -> tuple[dict[int, int], int]:
        """The account's available credits of the contract per batch, and all it holds."""
        available: dict[int, int] = {}
        held = 0
        for asset_id, state, amount in run.uow.balances_of(account.account_id):
            if asset_id != CASH_ASSET and self.of_contract(run, asset_id):
                if state == State.AVAILABLE:
                    available[asset_id] = amount
                if state in (State.AVAILABLE, State.FROZEN):
                    held += amount
        return available, held

    def pick(
        self,
        run: _Run,
        account: Account,
        qty: int,
        named: tuple[str, ...] | None,
        trading: Trading,
        credits: dict[int, int] | None = None,
    ) -> list[tuple[int, int]]:
        """Which batches cover a sell of ``qty``: (asset id, grams), oldest or as named,
        none of them bought too recently to sell (T+n, ``[trading] resale_delay_days``).

        ``credits``: the account's available credits of the contract, if read already.
        """
        available = self.credits(run, account)[0] if credits is None else credits
        if named is not None:
            batches = self.contract_batches(run)
            by_name = {b.name: a for a, b in batches.items()}
            if not 0 < len(named) <= BATCHES_MAX or any(n not in by_name for n in named):
                raise ValidationError(
                    f"name 1 to {BATCHES_MAX} batches of {run.code}", code="bad_batches"
                )
            order = [by_name[n] for n in named]
        else:
            order = sorted(available)
        total = sum(available.get(a, 0) for a in order)
        if total < qty:
            raise InsufficientBalance(
                f"account {account.number} has {total} g of {run.code} to sell, needs {qty}",
                code="insufficient_credits",
            )
        self.require_resellable(run, account, qty, available, trading)
        picks, left = [], qty
        for asset_id in order:
            take = min(left, available.get(asset_id, 0))
            if take:
                picks.append((asset_id, take))
                left -= take
        return picks

    @staticmethod
    def require_resellable(
        run: _Run, account: Account, qty: int, available: dict[int, int], trading: Trading
    ) -> None:
        """Refuse a sale that needs units bought fewer than ``resale_delay_days`` trading
        days ago (T+n: ``model.resale_window`` says which days' purchases those are)."""
        delay_days = trading.resale_delay_days
        if delay_days <= 0:
            return
        today = date.fromisoformat(str(run.contract["trading_day"]))
        days = resale_window(today, delay_days, trading.is_trading_day)
        bought = run.bought([d.isoformat() for d in days], account.account_id)
        if sum(available.values()) - bought < qty:
            when = "today" if delay_days == 1 else f"in its last {delay_days} trading days"
            raise Conflict(
                f"{bought} g of {run.code} were bought {when} and cannot be sold yet "
                f"(T+{delay_days})",
                code="resale_too_soon",
            )

    def require_cash(self, run: _Run, account: Account, amount: int) -> None:
        held = run.uow.balance(account.account_id, CASH_ASSET, State.AVAILABLE)
        if held < amount:
            raise InsufficientBalance(
                f"account {account.number} has {held} fen available, the order needs {amount}",
                code="insufficient_funds",
            )
