"""Access rules: only holders or their agents move holdings; authorities issue and cancel."""

from __future__ import annotations

import pytest

from pctrade.kernel.errors import Forbidden
from pctrade.ledger import access
from pctrade.ledger.model import Account, HolderType, Party, Role

ALICE = Party("alice", Role.INDIVIDUAL, "Alice")
BOB = Party("bob", Role.INDIVIDUAL, "Bob")
PLATFORM = Party("plat", Role.PLATFORM, "Platform")
REGULATOR = Party("reg", Role.REGULATOR, "Regulator")
OPERATOR = Party("registry", Role.REGISTRY_OPERATOR, "Registry")
ALICE_ACCOUNT = Account(1000, HolderType.INDIVIDUAL, "alice")


def test_the_holder_moves_its_own_holdings() -> None:
    access.require_holder_or_agent(ALICE, ALICE_ACCOUNT, set())


def test_an_authorised_agent_moves_the_holders_holdings() -> None:
    access.require_holder_or_agent(PLATFORM, ALICE_ACCOUNT, {"plat"})


@pytest.mark.parametrize("actor", [BOB, PLATFORM, REGULATOR, OPERATOR])
def test_nobody_else_moves_someone_elses_holdings(actor: Party) -> None:
    with pytest.raises(Forbidden):
        access.require_holder_or_agent(actor, ALICE_ACCOUNT, {"someone_else"})


@pytest.mark.parametrize("actor", [REGULATOR, OPERATOR])
def test_authorities_pass_role_checks(actor: Party) -> None:
    access.require_role(actor, access.AUTHORITIES, "issue credits")


@pytest.mark.parametrize("actor", [ALICE, PLATFORM])
def test_non_authorities_fail_role_checks_with_forbidden(actor: Party) -> None:
    with pytest.raises(Forbidden) as err:
        access.require_role(actor, access.AUTHORITIES, "issue credits")
    assert err.value.code == "forbidden"
    assert "issue credits" in err.value.message


def test_self_or_authority() -> None:
    access.require_self_or_authority(ALICE, "alice", "authorise agents")
    access.require_self_or_authority(REGULATOR, "alice", "authorise agents")
    with pytest.raises(Forbidden):
        access.require_self_or_authority(BOB, "alice", "authorise agents")
    with pytest.raises(Forbidden):
        access.require_self_or_authority(PLATFORM, "alice", "authorise agents")


@pytest.mark.parametrize(("actor", "agents"), [(ALICE, set()), (PLATFORM, {"plat"}),
                                               (REGULATOR, set()), (OPERATOR, set())])  # fmt: skip
def test_holders_agents_and_authorities_read_an_account(actor: Party, agents: set[str]) -> None:
    access.require_account_reader(actor, ALICE_ACCOUNT, agents)


@pytest.mark.parametrize("actor", [BOB, PLATFORM])
def test_nobody_else_reads_an_account(actor: Party) -> None:
    assert not access.is_authority(actor)
    with pytest.raises(Forbidden):
        access.require_account_reader(actor, ALICE_ACCOUNT, {"someone_else"})
