"""GET /verify: replay the journal alone and report every inconsistency found.

For the regulator and the registry operator. A report with problems is still a 200:
the request succeeded; what it found is in ``ok`` and ``problems``. The files kept in the
app's data folder are checked too (``energy.kept``).
"""

from __future__ import annotations

from fastapi import APIRouter

from pctrade.api import schemas as s
from pctrade.api import views
from pctrade.api.deps import ActorDep, AppDep
from pctrade.api.problems import problem_responses
from pctrade.ledger import reads

router = APIRouter(tags=["verify"])


@router.get("/verify", responses=problem_responses(401, 403))
def verify(actor: ActorDep, app: AppDep) -> s.VerifyPublic:
    return views.verify(reads.verify(app.store, actor, app.contexts))
