"""The catalogue of error codes (``api.codes``) is the code's: read from every raise.

Every ``raise SomeError(..., code="...")`` (and ``HttpProblem(status, "code", ...)``)
in the package is found by reading the source, its HTTP status taken from the class
the way the API maps it (``problems.status_of``), and looked up in the catalogue. A
code added without its entry, or raised under two classes of different status, fails
here with the file and line to look at.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import pctrade
from pctrade.api import codes, problems
from pctrade.api.problems import AuthenticationError, status_of
from pctrade.kernel import errors
from pctrade.ledger import status as status_rules
from pctrade.market.auction import AuctionRefusal
from pctrade.market.auction import refusal_error as auction_refusal
from pctrade.market.block import BlockRefusal
from pctrade.market.block import refusal_error as block_refusal
from pctrade.market.eligibility import NotEligible
from pctrade.market.engine import Refusal, refusal_error

PACKAGE = Path(pctrade.__file__).parent
# Entrypoints other than the API, and files read when a rule book is built: their codes
# never reach an HTTP client.
NOT_HTTP = (
    "bootstrap/settings.py",  # a server's settings, checked before it serves anything
    "cli/",
    "demo",  # demo.py and its chapters, demo_*.py
    "export.py",
    "ledger/sql/admin.py",
)
ERROR_CLASSES = {
    cls.__name__: cls
    for cls in (
        errors.PctradeError,
        errors.ValidationError,
        errors.NotFound,
        errors.Forbidden,
        errors.Conflict,
        errors.InsufficientBalance,
        errors.TerminalState,
        errors.IdempotencyConflict,
        errors.IntegrityError,
        AuthenticationError,
        NotEligible,
    )
}
Raised = tuple[str, int, str]  # code, status, where


def _raised() -> Iterator[Raised]:
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(PACKAGE).as_posix()
        if where.startswith(NOT_HTTP):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                yield from _codes_of(node, f"{where}:{node.lineno}")


def _codes_of(call: ast.Call, where: str) -> Iterator[Raised]:
    name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
    if name == "HttpProblem" and len(call.args) >= 2:
        status, code = call.args[0], call.args[1]
        if isinstance(status, ast.Constant) and isinstance(code, ast.Constant):
            yield str(code.value), int(status.value), where
        return
    cls = ERROR_CLASSES.get(str(name))
    if cls is None:
        return
    given = [k.value for k in call.keywords if k.arg == "code"]
    if given and not isinstance(given[0], ast.Constant):
        return
    code = str(given[0].value) if given else cls.code
    yield code, problems.status_of(cls("probe")), where


THROTTLED = ("too_many_attempts", 429)  # errors.Throttled: raised with a Retry-After


RAISED = sorted(set(_raised()))


def test_the_source_raises_codes_to_check() -> None:
    assert len(RAISED) > 150


@pytest.mark.parametrize(("code", "status", "where"), RAISED, ids=[r[2] for r in RAISED])
def test_every_raised_code_is_catalogued_under_its_status(
    code: str, status: int, where: str
) -> None:
    if status == 500:
        return  # integrity failures are server errors: never documented as an answer
    assert code in codes.CODES.get(status, ()), f"{where} raises {code!r} ({status})"


def test_every_catalogued_code_is_raised_or_answered_by_the_boundary() -> None:
    raised = {code for code, _, _ in RAISED}
    raised |= set(status_rules.REFUSAL_CODES.values())  # raised by the account's status
    raised |= {code for code, _ in _VENUE_REFUSALS}  # the block desk's and the auction's
    raised.add(THROTTLED[0])
    raised |= {str(r) for r in Refusal}  # the engine's refusals (refusal_error)
    boundary = {c for by in (codes.GENERIC, codes.FIELDS, codes.JSON_BODY) for c in by[422]}
    boundary |= {"not_found", "method_not_allowed", "payload_too_large", "duplicate_header"}
    listed = {c for names in codes.CODES.values() for c in names}
    assert listed - raised - boundary == set()


def test_the_boundary_and_dependency_codes_are_catalogued_under_their_status() -> None:
    for part in (
        codes.GENERIC,
        codes.FIELDS,
        codes.JSON_BODY,
        codes.AUTHENTICATED,
        codes.IDEMPOTENT,
    ):
        for status, names in part.items():
            assert set(names) <= set(codes.CODES[status]), (status, names)


def test_throttling_is_catalogued_under_429() -> None:
    code, status = THROTTLED
    throttled = errors.Throttled("slow down", retry_after_s=60)
    assert (throttled.code, problems.status_of(throttled)) == (code, status)
    assert code in codes.CODES[status]


@pytest.mark.parametrize("refusal", list(Refusal), ids=str)
def test_every_engine_refusal_is_catalogued_under_its_status(refusal: Refusal) -> None:
    error = refusal_error(refusal, "probe")
    assert error.code in codes.CODES[problems.status_of(error)], refusal


# The block desk and the auction raise their refusals through ``refusal_error`` (a code
# chosen at run time, which the source scan cannot see): each is catalogued by its kind.
_VENUE_REFUSALS = [(code.value, status_of(block_refusal(code, "x"))) for code in BlockRefusal] + [
    (code.value, status_of(auction_refusal(code, "x"))) for code in AuctionRefusal
]


@pytest.mark.parametrize(("code", "status"), _VENUE_REFUSALS)
def test_every_block_and_auction_refusal_is_catalogued_under_its_status(
    code: str, status: int
) -> None:
    assert code in codes.CODES.get(status, ())
