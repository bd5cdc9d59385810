"""The registry's nouns: parties, accounts, instruments, batches and holding states.

A *party* is a person or organisation that acts (an actor with one role). An *account*
holds units for one party; system accounts belong to the registry or the regulator.
An *asset* is either a credit batch (instruments are fungible only within a batch),
cash in fen, which is asset 0, or green energy (绿色能量), which is asset -1: grams of
CO2e avoided by a person's low-carbon behaviour, kept as non-tradable points. Every
holding is a balance of one (account, asset, state).

States: ``available`` and ``frozen`` move; ``surrendered``, ``retired`` and ``cancelled``
are terminal and never move again, and so are ``spent`` and ``expired``, the two ends
of green energy (consumed once by a sponsorship, or lapsed under the expiry rule).
Green energy is credited ``uncollected``: its holder collects it into ``available``
(which, for energy, means collected), or it lapses to ``expired`` once older than the
expiry period; only collected energy is spent (``energy.model``).
``source`` is the negative mirror kept by the two source accounts (issuance for
credits and energy, the cash gateway for money), so that every journal entry sums to
zero per asset and ``issued = -source`` for each batch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from pctrade.kernel.errors import ValidationError

AccountId = int
AssetId = int
PartyId = str
Seq = int

CASH_ASSET: AssetId = 0
# Green energy is one ledger-wide asset, not a batch: it is never money or a credit by
# itself (DESIGN §2), so it can be credited, spent or expired, and nothing else.
ENERGY_ASSET: AssetId = -1
ENERGY_NAME = "GE"
# Cash is named CNY wherever people see it (payloads keep the id). A command may also
# say CASH; both spellings, in any case, name asset 0 (``is_cash``).
CASH_NAME = "CNY"
_CASH_SPELLINGS = frozenset({CASH_NAME, "CASH"})


class Role(StrEnum):
    INDIVIDUAL = "individual"
    PLATFORM = "platform"
    EMITTER = "emitter"
    INSTITUTION = "institution"
    PROJECT_OWNER = "project_owner"
    VERIFIER = "verifier"
    REGULATOR = "regulator"
    REGISTRY_OPERATOR = "registry_operator"


class HolderType(StrEnum):
    INDIVIDUAL = "individual"
    PLATFORM = "platform"
    KEY_EMITTER = "key_emitter"
    INSTITUTION = "institution"
    PROJECT_OWNER = "project_owner"
    SYSTEM = "system"


# Which holder type each role's own accounts have; roles absent here hold nothing.
HOLDER_TYPE_OF_ROLE: dict[Role, HolderType] = {
    Role.INDIVIDUAL: HolderType.INDIVIDUAL,
    Role.PLATFORM: HolderType.PLATFORM,
    Role.EMITTER: HolderType.KEY_EMITTER,
    Role.INSTITUTION: HolderType.INSTITUTION,
    Role.PROJECT_OWNER: HolderType.PROJECT_OWNER,
}

ACCOUNT_PREFIX: dict[HolderType, str] = {
    HolderType.INDIVIDUAL: "IND",
    HolderType.PLATFORM: "PLT",
    HolderType.KEY_EMITTER: "EMT",
    HolderType.INSTITUTION: "INS",
    HolderType.PROJECT_OWNER: "PRJ",
    HolderType.SYSTEM: "SYS",
}


class State(IntEnum):
    AVAILABLE = 0
    FROZEN = 1
    SURRENDERED = 2
    RETIRED = 3
    CANCELLED = 4
    SPENT = 5
    EXPIRED = 6
    UNCOLLECTED = 7  # green energy credited and not yet collected by its holder
    SOURCE = 9

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATES

    @property
    def label(self) -> str:
        return self.name.lower()


TERMINAL_STATES = frozenset(
    {State.SURRENDERED, State.RETIRED, State.CANCELLED, State.SPENT, State.EXPIRED}
)
# The states a credit or cash can be held in; green energy has its own four.
HOLDING_STATES = (
    State.AVAILABLE,
    State.FROZEN,
    State.SURRENDERED,
    State.RETIRED,
    State.CANCELLED,
)
ENERGY_STATES = (State.UNCOLLECTED, State.AVAILABLE, State.SPENT, State.EXPIRED)


class Instrument(StrEnum):
    CEA = "CEA"
    CCER = "CCER"
    PCER = "PCER"


# Personal credits (DESIGN §4): they come into being only from people's behaviour, by a
# path a context registers (verified sink removals traced to their sponsors, or avoided
# emissions on the carbon-inclusive path), never by a plain ``issue``. The registry
# refuses a plain issue of these instruments and ``verify`` flags an entry that made one
# outside the registered paths (``ledger.extensions.CreditPath``).
PERSONAL_INSTRUMENTS = frozenset({Instrument.PCER})


class SystemAccount(IntEnum):
    """System accounts have fixed ids below the first holder account."""

    ISSUANCE = 1
    CASH_GATEWAY = 2
    AUCTION = 3
    BUFFER = 4
    FEES = 5
    CANCELLATION = 6


class AccountStatus(IntEnum):
    """What an account may still do (as the EU and UK registries' account states).

    Ordered from least to most restrictive: ``open`` sends and receives; ``blocked``
    receives but sends nothing at its holder's word; ``suspended`` neither sends nor
    receives at any holder's word; ``closed`` (final, with zero holdings) is touched by
    nothing. ``ledger.status`` holds the rules; the journal records the label.
    """

    OPEN = 0
    BLOCKED = 1
    SUSPENDED = 2
    CLOSED = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def of_label(cls, label: str) -> AccountStatus:
        return cls[label.upper()]


SYSTEM_OWNER: PartyId = "registry"
FIRST_HOLDER_ACCOUNT: AccountId = 1000
SOURCE_ACCOUNTS = frozenset({SystemAccount.ISSUANCE, SystemAccount.CASH_GATEWAY})


@dataclass(frozen=True, slots=True)
class Party:
    party_id: PartyId
    role: Role
    name: str


@dataclass(frozen=True, slots=True)
class Account:
    account_id: AccountId
    holder_type: HolderType
    owner: PartyId
    label: str = ""

    @property
    def number(self) -> str:
        return account_number(self.account_id, self.holder_type)


def account_number(account_id: AccountId, holder_type: HolderType) -> str:
    """Readable account number, e.g. ``IND-0000001234``; the id is the key."""
    return f"{ACCOUNT_PREFIX[holder_type]}-{account_id:010d}"


_NUMBER_RE = re.compile(r"^(?:[A-Z]{3}-)?0*(\d+)$")


def parse_account_ref(ref: str | int) -> AccountId:
    """Accept an id (``1234``) or a number (``IND-0000001234``)."""
    if isinstance(ref, int):
        return ref
    match = _NUMBER_RE.match(ref.strip())
    if match is None:
        raise ValidationError(f"not an account id or number: {ref!r}", code="bad_account")
    return int(match.group(1))


# PCER-GD-AFF0007-2026Q3-001: instrument, jurisdiction, project, vintage, serial. The
# serial may be left off when issuing: the registry then numbers the batch (``Series``).
_DENOM_RE = re.compile(
    r"^(?P<instrument>CEA|CCER|PCER)-(?P<jurisdiction>[A-Z]{2,3})-(?P<project>[A-Z0-9]{1,16})"
    r"-(?P<vintage>\d{4}(?:Q[1-4]|H[12]|M(?:0[1-9]|1[0-2]))?)(?:-(?P<serial>\d{3}))?$"
)
SERIAL_MAX = 999  # three digits


@dataclass(frozen=True, slots=True)
class Series:
    """A denomination without its serial: the batches of one instrument, jurisdiction,
    project and vintage, numbered 001, 002, … in the order they are issued."""

    instrument: Instrument
    jurisdiction: str
    project: str
    vintage: str

    def __str__(self) -> str:
        return f"{self.instrument}-{self.jurisdiction}-{self.project}-{self.vintage}"

    def numbered(self, serial: int) -> Denomination:
        if not 0 < serial <= SERIAL_MAX:
            raise ValidationError(
                f"batch serials of {self} run from 001 to {SERIAL_MAX}", code="bad_denomination"
            )
        return Denomination(self.instrument, self.jurisdiction, self.project, self.vintage, serial)


def _bad_denomination(text: str) -> ValidationError:
    return ValidationError(
        f"bad batch denomination {text!r}: expected e.g. PCER-GD-AFF0007-2026Q3-001",
        code="bad_denomination",
    )


@dataclass(frozen=True, slots=True)
class Denomination:
    """A batch's readable name; it carries the batch's provenance."""

    instrument: Instrument
    jurisdiction: str
    project: str
    vintage: str
    serial: int

    def __str__(self) -> str:
        return f"{self.series}-{self.serial:03d}"

    @property
    def series(self) -> Series:
        return Series(self.instrument, self.jurisdiction, self.project, self.vintage)

    @classmethod
    def parse(cls, text: str) -> Denomination:
        found = parse_batch_name(text)
        if isinstance(found, Series):
            raise _bad_denomination(text)
        return found


def parse_batch_name(text: str) -> Denomination | Series:
    """A whole denomination, or a series whose next serial the registry assigns."""
    match = _DENOM_RE.match(text)
    if match is None:
        raise _bad_denomination(text)
    series = Series(
        Instrument(match["instrument"]), match["jurisdiction"], match["project"], match["vintage"]
    )
    if match["serial"] is None:
        return series
    serial = int(match["serial"])
    if serial == 0:
        raise ValidationError("batch serial starts at 001", code="bad_denomination")
    return series.numbered(serial)


@dataclass(frozen=True, slots=True)
class Batch:
    asset_id: AssetId
    denomination: Denomination
    issued_g: int
    issued_seq: Seq
    # The methodology its units were credited under (e.g. CCER-14-001-V01), as the
    # issuer stated it; None when it stated none. Surrender checks it against the
    # methodologies a rule set admits.
    methodology: str | None = None

    @property
    def name(self) -> str:
        return str(self.denomination)


# ---- cash versus credits: the one place that names assets ---------------------------
# Cash (fen), green energy (grams) and credit batches (grams, named by denomination)
# share the ledger; these functions are the only translation between what a person
# writes or reads and an asset id, for the services, queries, API, CLI and exports.


def is_cash(name: str) -> bool:
    """Whether ``name`` means cash: CNY or CASH, in any case. Cash counts fen."""
    return name.upper() in _CASH_SPELLINGS


def builtin_asset(name: str) -> AssetId | None:
    """Cash's or green energy's id by name; None when ``name`` should be a batch's."""
    if is_cash(name):
        return CASH_ASSET
    if name.upper() == ENERGY_NAME:
        return ENERGY_ASSET
    return None


def asset_names(batches: Iterable[Batch]) -> dict[AssetId, str]:
    """Every asset's name by id: the batches' denominations, CNY and GE."""
    names = {b.asset_id: b.name for b in batches}
    names[CASH_ASSET] = CASH_NAME
    names[ENERGY_ASSET] = ENERGY_NAME
    return names


def asset_name(asset_id: AssetId, batches: dict[AssetId, str]) -> str:
    if asset_id == CASH_ASSET:
        return CASH_NAME
    if asset_id == ENERGY_ASSET:
        return ENERGY_NAME
    return batches.get(asset_id, f"asset#{asset_id}")
