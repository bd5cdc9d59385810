"""The HTTP API (FastAPI, OpenAPI): a thin entrypoint over the registry services.

Each request is authenticated to a *party* (a bearer token for people, an API key for
partner systems); that party is the actor every service call is made for, so the
access rules live in one place, the service layer. Writes carry an ``Idempotency-Key``
that the registry stores with the journal entry; a replay returns the entry it
recorded. Every failure is an ``application/problem+json`` body whose ``code`` is the
domain error's stable code.

Build the app with ``pctrade.api.app.create_app(pctrade.bootstrap.build(url))``.
"""
