"""Every stable error code the HTTP API answers with, by status.

A client branches on ``code``; this is the vocabulary it can rely on. The OpenAPI
document (``api.openapi``) lists, under each error status of each operation, the codes
of that status from here (``x-codes``, and an ``enum`` of the problem's ``code`` that a
conformance check enforces). Codes are raised where the rule lives (the domain, the
boundary); ``tests/unit/test_error_codes.py`` reads every raise in the source and fails
if a code is missing here or listed under another status, so this list cannot drift.

Some codes come from the boundary and the request's own shape, whatever the route
(``GENERIC``): every operation may answer them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

CODES: Final[Mapping[int, tuple[str, ...]]] = {
    400: ("duplicate_header", "idempotency_key_required"),
    401: (
        "invalid_api_key",
        "invalid_credentials",
        "invalid_token",
        "token_expired",
        "unauthenticated",
        "unknown_party",
    ),
    403: (
        "forbidden",
        "not_owner",
        "own_project",
        "own_request",
        "unknown_actor",
        "wrong_password",
    ),
    404: (
        "no_events",
        "no_facts",
        "no_rule_set",
        "not_found",
        "unknown_account",
        "unknown_api_key",
        "unknown_batch",
        "unknown_certificate",
        "unknown_entry",
        "unknown_event",
        "unknown_hold",
        "unknown_issuance",
        "unknown_party",
        "unknown_project",
        "unknown_report",
        "unknown_reversal",
    ),
    405: ("method_not_allowed",),
    409: (
        "account_blocked",
        "account_closed",
        "account_not_empty",
        "account_suspended",
        "already_corrected",
        "already_decided",
        "api_key_not_allowed",
        "api_key_revoked",
        "batch_exists",
        "beyond_head",
        "claim_changed",
        "day_already_credited",
        "exceeds_hold",
        "exceeds_verified",
        "full",
        "hold_released",
        "idempotency_key_reused",
        "insufficient_balance",
        "internal",
        "methodology_not_admitted",
        "no_facts_for_role",
        "no_rule",
        "no_sponsors",
        "not_a_sink_issuance",
        "not_an_emitter",
        "not_correctable",
        "not_issued",
        "not_verified",
        "nothing_qualifies",
        "nothing_to_issue",
        "operator_login_exists",
        "outside_crediting_period",
        "party_exists",
        "path_not_admitted",
        "period_not_ended",
        "period_overlap",
        "price_changed",
        "project_closed",
        "project_exists",
        "project_not_approved",
        "report_decided",
        "report_not_verified",
        "series_full",
        "shares_changed",
        "status_unchanged",
        "terminal_state",
        "too_many",
        "units_exceed_project",
        "units_exhausted",
        "user_exists",
        "wrong_project_status",
    ),
    413: ("payload_too_large",),
    422: (
        "bad_account",
        "bad_affiliates",
        "bad_asset",
        "bad_buffer_rate",
        "bad_cause",
        "bad_cursor",
        "bad_date",
        "bad_denomination",
        "bad_enum",
        "bad_facts",
        "bad_hashing_params",
        "bad_hold",
        "bad_idempotency_key",
        "bad_jurisdiction",
        "bad_limit",
        "bad_model",
        "bad_name",
        "bad_parcels",
        "bad_party",
        "bad_period",
        "bad_project_code",
        "bad_quantity",
        "bad_range",
        "bad_reason",
        "bad_request",
        "bad_role",
        "bad_stand_age",
        "bad_state",
        "bad_token_ttl",
        "bad_trading_params",
        "bad_unit",
        "bad_units_offered",
        "bad_username",
        "bad_weights",
        "duplicate_key",
        "duplicate_parameter",
        "duplicate_parcel",
        "duplicate_party",
        "duplicate_recipient",
        "invalid_request",
        "invalid_unicode",
        "missing_field",
        "missing_reason",
        "no_model_band",
        "non_positive",
        "not_tradable",
        "nul_character",
        "out_of_range",
        "parcel_recently_forest",
        "parcel_too_small",
        "parcel_wetland",
        "password_too_long",
        "password_unchanged",
        "removals_implausible",
        "same_account",
        "too_long",
        "too_many",
        "unbalanced",
        "unit_area_mismatch",
        "unit_price_off_standard",
        "units_exceed_project",
        "unknown_forest_type",
        "weak_password",
    ),
    429: ("too_many_attempts",),
}

# What any operation may answer, whatever it does: the request guard (api/guard.py),
# the size limit (api/limits.py) and the validation of parameters and bodies.
GENERIC: Final[Mapping[int, tuple[str, ...]]] = {
    400: ("duplicate_header",),
    413: ("payload_too_large",),
    422: ("duplicate_parameter", "invalid_request", "invalid_unicode", "nul_character"),
}
# What a parameter or body field of a checked type adds (a day, a positive quantity
# within 64 bits), and what a JSON body adds.
FIELDS: Final[Mapping[int, tuple[str, ...]]] = {422: ("bad_date", "non_positive", "out_of_range")}
JSON_BODY: Final[Mapping[int, tuple[str, ...]]] = {422: ("duplicate_key",)}
# What an authenticated operation adds (api/deps.py: every 401 but a failed login's),
# and one that takes an Idempotency-Key (every write).
AUTHENTICATED: Final[Mapping[int, tuple[str, ...]]] = {
    401: tuple(c for c in CODES[401] if c != "invalid_credentials")
}
IDEMPOTENT: Final[Mapping[int, tuple[str, ...]]] = {
    400: ("idempotency_key_required",),
    409: ("idempotency_key_reused",),
    422: ("bad_idempotency_key",),
}
