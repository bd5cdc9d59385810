"""The registry's error tree: every failure has a stable code.

    PctradeError                      base; ``code`` is stable, ``message`` is for people
    ├── ValidationError               the request alone is malformed (bad quantity, bad name)
    ├── NotFound                      an account, batch, hold or entry does not exist
    ├── Forbidden                     the actor may not do this to these holdings
    ├── Conflict                      the request clashes with state
    │   ├── InsufficientBalance       it would make a balance negative
    │   ├── TerminalState             it would move surrendered, retired or cancelled units
    │   └── IdempotencyConflict       the key was used before with a different request
    ├── AuthenticationError           missing, unknown or expired credentials, a wrong password
    ├── Throttled                     too many failed attempts: try again in ``retry_after_s``
    └── IntegrityError                verify found the journal or balances inconsistent
        └── EventsNotConserved        a run's outputs do not account for each input event once

Adapters map these to their own vocabulary (HTTP status, CLI exit code); they never
invent codes of their own for domain failures.
"""

from __future__ import annotations


class PctradeError(Exception):
    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ValidationError(PctradeError):
    code = "invalid_request"


class NotFound(PctradeError):
    code = "not_found"


class Forbidden(PctradeError):
    code = "forbidden"


class Conflict(PctradeError):
    code = "conflict"


class InsufficientBalance(Conflict):
    code = "insufficient_balance"


class TerminalState(Conflict):
    code = "terminal_state"


class IdempotencyConflict(Conflict):
    code = "idempotency_key_reused"


class AuthenticationError(PctradeError):
    code = "unauthenticated"


class Throttled(PctradeError):
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after_s: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after_s = retry_after_s


class IntegrityError(PctradeError):
    code = "integrity_violation"


class EventsNotConserved(IntegrityError):
    """A quantification run's outputs do not account for every input event exactly once.

    ``events_lost``: fewer events came out than went in (an engine that did not read
    the whole file, such as a Spark worker that does not see the shared storage);
    ``events_duplicated``: more came out (a step that multiplied rows).
    """

    code = "events_lost"
