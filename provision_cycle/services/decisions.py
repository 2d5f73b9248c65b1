"""Taking an action with a conflict-of-interest declaration given at the same time (the decision page, the
API's decision body): the declaration is recorded first, as its own audited change, then the action."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..core import Core
from ..workflow.engine import ActionRequest, ActionResult


@dataclass(frozen=True)
class Declaration:
    has_conflict: bool
    details: str = ""
    mitigation: str = ""


def act_declaring(core: Core, request: ActionRequest, declaration: Declaration | None) -> ActionResult:
    """Record ``declaration`` (if any), then take the action. The declaration moves the case's version on by
    one, so a version the caller read before it is moved on too: their own change does not make them stale."""
    if declaration is not None:
        core.engine.declare_interests(
            request.case_id,
            request.actor_id,
            has_conflict=declaration.has_conflict,
            details=declaration.details,
            mitigation=declaration.mitigation,
        )
        if request.expected_version is not None:
            request = replace(request, expected_version=request.expected_version + 1)
    return core.engine.act(request)
