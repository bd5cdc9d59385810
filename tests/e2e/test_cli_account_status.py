"""``pctrade registry block|suspend|close|reopen``: account status from a shell."""

from __future__ import annotations

import pytest
from cli_support import BATCH, World, run

from pctrade.ledger import queries
from pctrade.ledger.model import AccountStatus


@pytest.fixture
def world(sqlite_url: str) -> World:
    return World(sqlite_url)


def _status(world: World, party: str) -> AccountStatus:
    return queries.account_view(world.store, world.ids[party]).standing.status


def test_an_authority_blocks_and_reopens_an_account_and_the_account_shows_it(
    world: World,
) -> None:
    bob = str(world.ids["bob"])
    blocked = run(world.url, "registry", "block", bob, "--reason", "KYC review", "--as", "mee")
    assert blocked.exit_code == 0, blocked.output
    assert "account_status" in blocked.output and _status(world, "bob") == AccountStatus.BLOCKED
    shown = run(world.url, "registry", "account", bob)
    assert "blocked" in shown.output and "KYC review" in shown.output
    assert run(world.url, "registry", "suspend", bob, "-r", "court").exit_code == 0
    assert _status(world, "bob") == AccountStatus.SUSPENDED
    assert run(world.url, "registry", "reopen", bob, "-r", "cleared").exit_code == 0
    assert _status(world, "bob") == AccountStatus.OPEN
    assert run(world.url, "registry", "close", bob, "-r", "left").exit_code == 0
    assert _status(world, "bob") == AccountStatus.CLOSED


def test_a_blocked_holder_cannot_send_and_a_non_authority_cannot_block(world: World) -> None:
    alice = str(world.ids["alice"])
    refused = run(world.url, "registry", "block", alice, "-r", "x", "--as", "bob")
    assert refused.exit_code != 0 and "error [forbidden]" in refused.output
    assert run(world.url, "registry", "block", alice, "-r", "audit").exit_code == 0
    args = ["registry", "transfer", alice, str(world.ids["bob"]), "-a", BATCH, "-q", "1kg"]
    sent = run(world.url, *args, "--as", "alice")
    assert sent.exit_code != 0 and "error [account_blocked]" in sent.output
    assert world.balance("bob", BATCH) == 0


def test_an_account_with_holdings_is_not_closed(world: World) -> None:
    result = run(world.url, "registry", "close", str(world.ids["alice"]), "-r", "left")
    assert result.exit_code != 0 and "error [account_not_empty]" in result.output
    assert _status(world, "alice") == AccountStatus.OPEN
