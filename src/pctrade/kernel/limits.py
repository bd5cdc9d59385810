"""Every bound the platform puts on a number, a text or a page, named once.

A limit written twice drifts: the API would accept a 600-character reason that the
service then refuses, or a column would be narrower than the check in front of it. So
each limit lives here, and the model's checks, the API's schemas, the SQL column widths
and the error messages all read it from this module.

Limits that belong to one place only (the HTTP body size, how many rows a CLI prints)
stay beside their one user; a limit moves here as soon as a second module needs it.
"""

from __future__ import annotations

from typing import Final

# ---- numbers -----------------------------------------------------------------------
# Every quantity, amount, id and seq is stored in a signed 64-bit column (BIGINT), so
# the ledger refuses anything beyond it rather than letting a database or numpy wrap.
INT64_MAX: Final = 2**63 - 1
# Sink reports and carbon-inclusive issuances are numbered in 32-bit columns (INTEGER).
INT32_MAX: Final = 2**31 - 1

# ---- texts (characters; the SQL columns are exactly this wide) --------------------
PARTY_ID_LEN_MAX: Final = 64  # a party's id (and so a login's username, a partner's id)
DENOMINATION_LEN_MAX: Final = 64  # a batch's name, e.g. PCER-GD-AFF0007-2026Q3-001
BATCH_ID_LEN_MAX: Final = 64  # a behaviour batch's id, chosen by its data partner
IDEM_KEY_LEN_MAX: Final = 128  # an idempotency key: printable ASCII, no spaces
REFERENCE_LEN_MAX: Final = 128  # a payment's or a hold's reference
REASON_LEN_MAX: Final = 512  # a free-text reason, cause or note recorded with a decision
NAME_LEN_MAX: Final = 200  # a party's, account's or project's name
LABEL_LEN_MAX: Final = 100  # an API key's label
PURPOSE_LEN_MAX: Final = 64  # the purpose code of an energy credit
DECISION_REASON_LEN_MAX: Final = 256  # a reviewer's reason for releasing a held event
# A password: at least this many characters, at most this many bytes in UTF-8 (argon2
# takes any length; a bound still belongs on every input a stranger can send).
PASSWORD_CHARS_MIN: Final = 8
PASSWORD_BYTES_MAX: Final = 256

# ---- lists -------------------------------------------------------------------------
AFFILIATES_MAX: Final = 32  # parties affiliated with a project or a carbon-inclusive claim

# ---- pages (rows per read) ---------------------------------------------------------
# Every list is read a page at a time behind a cursor (``kernel.paging``); these are
# the largest pages a caller may ask for. The API documents them on each list route.
PAGE_SIZE_DEFAULT: Final = 100  # rows of a page when the caller names no limit
PAGE_SIZE_MAX: Final = 500  # a page of journal entries, batches, issuances, accounts, …
HELD_PAGE_MAX: Final = 1_000  # a page of a day's held behaviour events
ATTRIBUTION_PAGE_MAX: Final = 10_000  # a page of an issuance's attribution rows
CURSOR_LEN_MAX: Final = 512  # an opaque cursor, as a client hands it back

# ---- consistent reads --------------------------------------------------------------
POSITIONS_ACCOUNTS_MAX: Final = 100  # accounts read together at one journal position
