"""Every form's two hidden fields, and the check every POST passes.

**CSRF.** A form carries ``csrf_token``: an HMAC, under the web app's secret, of what
identifies the browser — its session token once signed in, before that a random
``pctrade_csrf`` cookie the web app hands out. Another site can make a browser post,
but cannot read the page, so cannot know the token; a POST without the right one is
refused (403 ``csrf_invalid``) before anything else is read. The SameSite=Lax session
cookie is the second wall.

**Idempotency.** A form also carries ``idempotency_key``, a uuid4 made when the page was
rendered. The page hands it to the service as the write's idempotency key, so a double
click, or a reload that posts again, replays the first write instead of making a second.

Pages take the checked fields with the dependency ``FormDep`` (``checked_form``) and the
key with ``idempotency_key(fields)``; templates put ``{{ hidden_fields(form) }}`` (from
``macros.html``) in every ``<form method="post">``. A write the service refuses shows
its page again with the refusal (``pages.outcome.refuse``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Request

from pctrade.kernel.errors import Forbidden, ValidationError
from pctrade.web.session import SESSION_COOKIE

CSRF_FIELD = "csrf_token"
IDEMPOTENCY_FIELD = "idempotency_key"
ANONYMOUS_COOKIE = "pctrade_csrf"
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
FORM_FIELDS_MAX = 100  # a form of ours has a handful; the API's body limit bounds bytes
IDEMPOTENCY_KEY_LEN_MAX = 64
FIELD_LEN_MAX = 64  # a code, a name or an amount: longer is cut, and then refused as unknown


def csrf_token(secret: bytes, basis: str) -> str:
    return hmac.new(secret, b"csrf\x00" + basis.encode(), hashlib.sha256).hexdigest()


def csrf_basis(request: Request) -> str:
    """What the browser's token is bound to: its session, else its anonymous cookie (set
    by the web app's middleware on its first visit, ``request.state.anonymous``)."""
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        return session
    anonymous: str = request.state.anonymous
    return anonymous


def new_anonymous_id() -> str:
    return secrets.token_urlsafe(24)


def form_context(request: Request) -> dict[str, str]:
    """The hidden fields of a form rendered now: the CSRF token and a fresh key."""
    secret: bytes = request.app.state.secret
    return {
        CSRF_FIELD: csrf_token(secret, csrf_basis(request)),
        IDEMPOTENCY_FIELD: str(uuid.uuid4()),
    }


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form's fields, once its CSRF token is found right (else 403)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body() if media == FORM_MEDIA_TYPE else b""
    try:
        pairs = parse_qsl(
            raw.decode("utf-8"), keep_blank_values=True, max_num_fields=FORM_FIELDS_MAX
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValidationError(f"the form cannot be read: {exc}", code="invalid_request") from exc
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise ValidationError(f"the form field {name!r} was sent twice", code="invalid_request")
        fields[name] = value
    secret: bytes = request.app.state.secret
    expected = csrf_token(secret, csrf_basis(request))
    if not hmac.compare_digest(fields.pop(CSRF_FIELD, "").encode(), expected.encode()):
        raise Forbidden(
            "this form has expired or did not come from this site: reload it and try again",
            code="csrf_invalid",
        )
    return fields


FormDep = Annotated[dict[str, str], Depends(checked_form)]


def idempotency_key(fields: dict[str, str]) -> str:
    """The form's idempotency key, to hand to the service with its write."""
    key = fields.get(IDEMPOTENCY_FIELD, "").strip()
    if not key or len(key) > IDEMPOTENCY_KEY_LEN_MAX:
        raise ValidationError("the form carries no idempotency key", code="invalid_request")
    return key


def form_field(form: dict[str, str], name: str) -> str:
    """A text field of a checked form, trimmed and cut at ``FIELD_LEN_MAX`` ('' if absent)."""
    return form.get(name, "").strip()[:FIELD_LEN_MAX]
