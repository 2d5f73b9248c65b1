"""The API's operations: the same services as the web pages, in JSON."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import Blueprint, Response, current_app, request

from ..audit import case_chain_intact
from ..core import Core
from ..errors import DomainError, GuardFailed, InvalidInput, NotFound
from ..governance.organisation import JOINT
from ..governance.rules import GovernanceError, Proposal
from ..governance.statutory import deadline_name
from ..models import AuditEvent, Case, CaseDeadline, MarketNoticeKind, Task
from ..models.cases import declaration_blocks
from ..scheduling.config import schedule_for
from ..services import (
    aggregation,
    case_notes,
    evaluation,
    forward_plan,
    frameworks,
    key_decision_reports,
    markets,
    notices,
    ocds,
    payments_compliance,
    performance,
    periods,
    reading,
    spend,
    suppliers,
    teams,
    transparency,
)
from ..services import names_alike as alike
from ..services.aggregation import ONE_REQUIREMENT_EXPLAINED
from ..services.contract_managers import assign_contract_manager
from ..services.contract_record import correct_contract
from ..services.contract_risk import set_contract_risk
from ..services.decisions import Declaration, act_declaring
from ..services.tasks import (
    complete_task,
    contract_tasks,
    council_duties,
    councils_with_duties_for,
    may_see_task,
    next_review,
    outcome_label,
    outcomes_for,
    pass_all_tasks_on,
    pass_task_on,
    passable_tasks,
    review_consequence,
    snooze_task,
)
from ..services.transparency import REDACTED
from ..workflow.context import case_deadline
from ..workflow.definitions import WorkflowDefinition
from ..workflow.engine import REQUEST_FACTS, STAGE_PREFIX, ActionRequest, Actor
from ..workflow.evaluation import Standing, evaluation_of
from ..workflow.frameworks import running_on
from ..workflow.markets import members_of, status_of
from ..workflow.participation import requests_to_participate
from . import schemas as s
from .framework import ApiProblem, current_actor, json_response, operation

api = Blueprint("api", __name__, url_prefix="/api/v1")
TOLD = (*REQUEST_FACTS, ONE_REQUIREMENT_EXPLAINED)  # what a requester says that is kept in a case's details


def core() -> Core:
    return current_app.extensions["provision_cycle"]


def _out(model, obj):
    """A response model filled from an object's attributes of the same names."""
    return model.model_validate(obj, from_attributes=True)


def _input_out(spec) -> s.InputOut:
    """What an action asks for, with a choice's answers as objects."""
    options = [s.OptionOut(code=code, label=label) for code, label in spec.options]
    return s.InputOut(
        name=spec.name, type=spec.type, label=spec.label, optional=spec.optional, when=list(spec.when),
        under=spec.under, options=options, required_when=list(spec.required_when), hint=spec.hint,
        suggestions=list(spec.suggested),
    )  # fmt: skip


def _money(value) -> str:
    return f"{Decimal(value):.2f}"


# --- me and reference data -------------------------------------------------------------------------------
@operation(api, "GET", "/me", summary="Who the token belongs to and what they may do", tag="Me", response=s.MeOut)
def me():
    actor: Actor = current_actor()
    staff = sorted(reading.staff_authorities(actor))
    own = sorted({a for _, a, _ in actor.roles})
    return json_response(
        s.MeOut(
            id=actor.id,
            username=actor.username,
            full_name=actor.full_name,
            roles=[s.RoleHeld(role=r, authority=a, pillar=p) for r, a, p in actor.roles],
            may_raise_requests_for=[*own, JOINT] if own else [],
            sees_cases_of=[*staff, JOINT] if staff else [],
        )
    )


@operation(
    api,
    "GET",
    "/reference",
    summary="Authorities, pillars, categories and roles",
    tag="Reference",
    response=s.Reference,
)
def reference_data():
    org = core().governance.organisation
    return json_response(
        s.Reference(
            authorities=[s.Named(code=a.code, name=a.name) for a in org.authorities.values()],
            joint=s.Named(code=JOINT, name=org.joint_name),
            pillars=[
                s.PillarOut(
                    code=p.code, name=p.name, categories=[s.Named(code=c.code, name=c.name) for c in p.categories]
                )
                for p in org.pillars.values()
            ],
            roles=[
                s.RoleOut(code=r.code, name=r.name, rank=r.rank, pillar_scoped=r.pillar_scoped)
                for r in org.roles.values()
            ],
        )
    )


def _workflow(definition: WorkflowDefinition) -> s.WorkflowOut:
    return s.WorkflowOut(
        name=definition.name,
        version=definition.version,
        stage=definition.stage,
        title=definition.title,
        initial=definition.initial,
        states=[
            s.StateOut(
                name=st.name,
                label=st.label,
                final=st.final,
                editable=st.editable,
                gate=st.gate.name if st.gate else None,
            )
            for st in definition.states.values()
        ],
        transitions=[
            s.TransitionOut(
                trigger=t.trigger,
                label=t.label,
                sources=list(t.sources),
                dest=t.dest,
                by=list(t.by),
                inputs=[_input_out(i) for i in t.inputs],
                reason_required=t.reason_required,
            )
            for t in definition.transitions
        ],
        gates=list(definition.gates),
    )


@operation(
    api, "GET", "/workflows", summary="Every workflow definition and version", tag="Reference", response=s.WorkflowList
)
def workflows():
    definitions = sorted(core().workflows.definitions.values(), key=lambda d: d.key)
    return json_response(s.WorkflowList(items=[_workflow(d) for d in definitions]))


@operation(
    api,
    "GET",
    "/workflows/{name}/{version}",
    summary="One workflow version: states, transitions, gates",
    tag="Reference",
    response=s.WorkflowOut,
    errors=(404,),
)
def workflow(name: str, version: str):
    try:
        definition = core().workflows.get(name, int(version.lstrip("v")))
    except (KeyError, ValueError):
        raise NotFound(f"There is no workflow {name} version {version}") from None
    return json_response(_workflow(definition))


@operation(
    api,
    "POST",
    "/route-preview",
    summary="The route, regime, threshold and approvers a case would get",
    tag="Governance",
    body=s.RoutePreviewIn,
    response=s.RoutePreviewOut,
    errors=(422,),
)
def route_preview(body: s.RoutePreviewIn):
    value = _parse_money(body.value, "value")
    proposal = Proposal(
        body.authority, body.category, body.contract_type, value, body.vat_treatment, body.commencement, body.route
    )
    try:
        plan = core().engine.preview_route(proposal, stage=body.stage)
    except GovernanceError as error:
        raise InvalidInput({"route": str(error)}) from None
    one_requirement = None
    if body.stage == "procurement":
        with core().db.reading() as session:
            one_requirement = aggregation.of_request(core(), session, current_actor(), proposal, plan.recommended_route)
    return json_response(
        s.RoutePreviewOut(
            regime=plan.regime,
            statutory_summary=plan.statutory_summary,
            above_threshold=plan.above_threshold,
            notifiable=plan.notifiable,
            value_inc_vat=plan.value_inc_vat,
            threshold=plan.threshold,
            recommended_route=plan.recommended_route,
            allowed_routes=plan.allowed_routes,
            key_decision=plan.key_decision,
            key_decision_reason=plan.key_decision_reason,
            steps=[_out(s.PlannedStepOut, step) for steps in plan.gates.values() for step in steps],
            perhaps_one_requirement=_one_requirement_out(one_requirement),
        )
    )


def _one_requirement_out(found: aggregation.PerhapsOneRequirement | None) -> s.OneRequirementOut | None:
    if found is None:
        return None
    return s.OneRequirementOut(
        others=[
            s.RelatedCaseOut(
                id=case.id,
                reference=case.reference,
                title=case.title,
                estimated_value=_money(case.estimated_value),
                submitted_at=case.submitted_at,
            )
            for case in found.others
        ],
        more=found.more,
        together_inc_vat=_money(found.together_inc_vat),
        line=_money(found.line),
        line_name=found.line_name,
    )


def _parse_money(text: str, field: str) -> Decimal:
    cleaned = text.strip().replace(",", "").lstrip("£")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise InvalidInput({field: "Enter an amount in pounds, like 25000 or 25000.50"}) from None
    if not value.is_finite() or value < 0 or value > Decimal("999999999999.99"):
        raise InvalidInput({field: "Enter an amount in pounds, like 25000 or 25000.50"})
    return value


# --- cases -------------------------------------------------------------------------------------------------
def _summary(case: Case, nobody_may_decide: str | None = None) -> s.CaseSummary:
    definition = core().workflows.get(case.workflow, case.workflow_version)
    return s.CaseSummary(
        id=case.id,
        reference=case.reference,
        stage=case.stage,
        workflow=case.workflow,
        workflow_version=case.workflow_version,
        state=case.state,
        state_label=definition.label(case.state),
        version=case.version,
        title=case.title,
        authority=case.authority,
        pillar=case.pillar,
        category=case.category,
        estimated_value=_money(case.estimated_value),
        requester_id=case.requester_id,
        updated_at=case.updated_at,
        nobody_may_decide=nobody_may_decide,
    )


def _key_date(deadline: CaseDeadline, regime: str | None) -> s.KeyDate:
    return s.KeyDate(
        kind=deadline.kind,
        name=deadline_name(deadline.kind, regime),
        due_on=deadline.due_on,
        basis=deadline.basis,
        met_at=deadline.met_at,
    )


def _proposal_out(proposal: reading.ContractProposal | None) -> s.ProposalOut | None:
    if proposal is None:
        return None
    (value_now, value_proposed), (end_now, end_proposed) = proposal.value or (None, None), proposal.end_date
    return s.ProposalOut(
        kind=proposal.kind,
        approved=proposal.approved,
        description=proposal.description,
        value_now=_money(value_now) if value_now is not None else None,
        value_proposed=_money(value_proposed) if value_proposed is not None else None,
        end_date_now=end_now,
        end_date_proposed=end_proposed,
        change_notice_needed=proposal.change_notice_needed,
        change_notice=proposal.change_notice,
        voluntary_standstill=proposal.voluntary_standstill,
        key_decision=proposal.key_decision,
        basis=proposal.basis,
        new_supplier=proposal.new_supplier,
    )


def _award_out(award: reading.AwardRecommendation | None) -> s.AwardOut | None:
    if award is None:
        return None
    return s.AwardOut(
        **{**dataclasses.asdict(award), "value": _money(award.value), "estimated_value": _money(award.estimated_value)}
    )


def _case_out(case_id: int) -> tuple[s.CaseOut, int]:
    with core().db.reading() as session:
        page = reading.case_page(core(), session, current_actor(), case_id)
        case = page.case
        out = s.CaseOut(
            **_summary(case, page.why_nobody_may_decide).model_dump(),
            description=case.description,
            contract_type=case.contract_type,
            vat_treatment=case.vat_treatment,
            route=case.route,
            regime=case.regime,
            key_decision=case.key_decision,
            proposed_start=case.proposed_start,
            duration_months=case.duration_months,
            details=case.details or {},
            created_at=case.created_at,
            submitted_at=case.submitted_at,
            closed_at=case.closed_at,
            steps=[
                s.StepOut(
                    gate=st.gate,
                    round=st.round,
                    position=st.position,
                    role=st.role,
                    authority=st.authority,
                    pillar=st.pillar,
                    mode=st.mode,
                    required=st.required,
                    status=st.status,
                    reason=st.reason,
                    opened_at=st.opened_at,
                    closed_at=st.closed_at,
                    decisions=[_out(s.DecisionOut, d) for d in page.decisions.get(st.id, [])],
                )
                for st in page.steps
            ],
            available_actions=[
                s.AvailableActionOut(
                    trigger=a.trigger,
                    label=a.label,
                    inputs=[_input_out(i) for i in a.inputs],
                    reason_required=a.reason_required,
                    decision=a.decision,
                    not_yet=list(a.not_yet),
                )
                for a in page.actions
            ],
            key_dates=[_key_date(d, page.case.regime) for d in page.deadlines],
            proposal=_proposal_out(page.proposal),
            award=_award_out(page.award),
            linked=s.LinkedCases(
                parent_id=case.parent_case_id,
                children=[c.id for c in page.children],
                contract_id=page.contract.id if page.contract else None,
            ),
            last_event=case.audit_seq,
            decision_records=[
                s.DecisionRecordOut(
                    **{name: getattr(r, name) for name in s.DecisionRecordOut.model_fields if name != "value"},
                    value=_money(r.value),
                )
                for r in page.decision_records
            ],
            returned=_out(s.DecisionOut, page.returned) if page.returned else None,
            question=_event(page.question.event) if page.question else None,
        )
        return out, case.version


@operation(
    api,
    "GET",
    "/cases/{case_id}/one-requirement",
    summary="The council's other procurements that may be one requirement with this one (PA23 s4, Sch 3)",
    tag="Cases",
    response=s.OneRequirementCheck,
    errors=(404,),
)
def one_requirement(case_id: int):
    with core().db.reading() as session:
        case = reading.get_case_for(session, current_actor(), case_id)
        found = aggregation.of_case(core(), session, current_actor(), case)
        return json_response(s.OneRequirementCheck(perhaps_one_requirement=_one_requirement_out(found)))


def _visible_case(case_id: int) -> None:
    """Refuse, as not found, a case the caller cannot see (before a change they might otherwise learn it by)."""
    with core().db.reading() as session:
        reading.get_case_for(session, current_actor(), case_id)


def _etag(version: int) -> str:
    return f'"v{version}"'


def _if_match() -> int | None:
    header = request.headers.get("If-Match")
    if header is None:
        return None
    tag = header.strip().removeprefix("W/")
    if not (tag.startswith('"v') and tag.endswith('"') and tag[2:-1].isdigit()):
        raise ApiProblem(400, "Invalid If-Match", 'Send the ETag from the case, like If-Match: "v3"')
    return int(tag[2:-1])


@operation(
    api,
    "GET",
    "/cases",
    summary="Cases you can see, filtered and paged",
    tag="Cases",
    query=s.CaseQuery,
    response=s.CaseList,
)
def list_cases(query: s.CaseQuery):
    actor = current_actor()
    with core().db.reading() as session:
        waiting = (
            frozenset(w.case.id for w in reading.approvals_waiting(core(), session, actor))
            if query.waiting_on_me
            else None
        )
        filters = query.model_dump(include={"state", "stage", "pillar", "authority", "requester_id"}, exclude_none=True)
        wanted = reading.CaseQuery(
            **filters,
            text=query.q.strip(),
            open_only=query.open_only,
            case_ids=waiting,
            sort=query.sort,
            page=query.page,
        )
        found = reading.cases_page(core(), session, actor, wanted, query.per_page)
        cases = [case for (case,) in found.rows] if found.page == query.page else []
        undecidable = core().engine.nobody_may_decide(session, cases)
        return json_response(
            s.CaseList(
                items=[_summary(case, undecidable.get(case.id)) for case in cases],
                page=query.page,
                per_page=query.per_page,
                total=found.total,
            )
        )


@operation(
    api,
    "POST",
    "/cases",
    summary="Open a case as a draft, or submit it at once",
    tag="Cases",
    body=s.CaseIn,
    response=s.CaseOut,
    status=201,
    errors=(403, 422),
)
def create_case(body: s.CaseIn):
    actor = current_actor()
    if body.submit and body.stage != "procurement":  # refused before anything is saved
        raise InvalidInput({"submit": "Only a procurement can be submitted at once"})
    fields = body.model_dump(exclude={"stage", "submit", *TOLD})
    case_id = core().engine.open_case(
        stage=body.stage,
        actor_id=actor.id,
        details={key: value.strip() for key in TOLD if (value := getattr(body, key)) and value.strip()},
        **fields,
    )
    if body.submit:
        try:
            core().engine.act(ActionRequest(case_id, "submit", actor.id))
        except DomainError as error:
            # The draft stands: say so and where, so that a client neither loses it nor raises it twice.
            reference = f"{STAGE_PREFIX[body.stage]}-{case_id:06d}"
            raise ApiProblem(
                422,
                "Saved as a draft, not submitted",
                f"{reference} is saved as a draft, but it could not be submitted: {error.message}",
                case_id=case_id,
                location=f"/api/v1/cases/{case_id}",
                **({"missing": error.missing} if isinstance(error, GuardFailed) else {}),
            ) from error
    out, version = _case_out(case_id)
    return json_response(out, 201, headers={"ETag": _etag(version), "Location": f"/api/v1/cases/{case_id}"})


@operation(
    api,
    "PUT",
    "/cases/{case_id}/request",
    summary="Change a request's answers while it is a draft or back for rework (send If-Match to be safe)",
    tag="Cases",
    body=s.RequestChange,
    response=s.CaseOut,
    if_match=True,
    errors=(403, 404, 409, 422),
)
def change_request(case_id: int, body: s.RequestChange):
    """Every answer is given, as on the request's change page: one left out is cleared (a fact such as the
    funding) or set to its default. Its requester only; then submit or resubmit it with an action."""
    actor = current_actor()
    with core().db.reading() as session:
        stage = reading.get_case_for(session, actor, case_id).stage  # a case you cannot see does not exist
    fields = body.model_dump(exclude={"route", "answers", *TOLD})
    if stage == "procurement":
        fields["route"] = body.route
    elif body.route or body.direct_award_ground:
        raise InvalidInput({"route" if body.route else "direct_award_ground": "Only a procurement has a route"})
    facts = {key: (getattr(body, key) or "").strip() for key in TOLD}
    version = core().engine.edit_case(case_id, actor.id, _if_match(), details=facts, answers=body.answers, **fields)
    out, _ = _case_out(case_id)
    return json_response(out, headers={"ETag": _etag(version)})


@operation(
    api,
    "GET",
    "/cases/{case_id}",
    summary="A case: state, route and steps, your actions, key dates, links",
    tag="Cases",
    response=s.CaseOut,
    etag=True,
    errors=(404,),
)
def get_case(case_id: int):
    out, version = _case_out(case_id)
    if request.headers.get("If-None-Match") == _etag(version):
        return json_response(None, 304, headers={"ETag": _etag(version)})
    return json_response(out, headers={"ETag": _etag(version)})


@operation(
    api,
    "POST",
    "/cases/{case_id}/actions",
    summary="Take an action on a case (send If-Match to be safe)",
    tag="Cases",
    body=s.ActionIn,
    response=s.ActionOut,
    if_match=True,
    errors=(403, 404, 409, 422),
)
def act(case_id: int, body: s.ActionIn):
    return _act(case_id, body.trigger, body.comment, body.reason, body.inputs, body.on_behalf_of_id, body.declaration)


def _act(case_id, trigger, comment, reason, inputs, on_behalf_of_id, declaration, seen_through=None):
    actor = current_actor()
    with core().db.reading() as session:
        reading.get_case_for(session, actor, case_id)  # a case you cannot see does not exist for you
    declaring = (
        Declaration(declaration.has_conflict, declaration.details, declaration.mitigation) if declaration else None
    )
    result = act_declaring(
        core(),
        ActionRequest(
            case_id,
            trigger,
            actor.id,
            expected_version=_if_match(),
            comment=comment,
            reason=reason,
            inputs=dict(inputs or {}),
            on_behalf_of_id=on_behalf_of_id,
            seen_through=seen_through,
        ),
        declaring,
    )
    return json_response(
        s.ActionOut(
            case_id=result.case_id,
            trigger=result.trigger,
            from_state=result.from_state,
            to_state=result.to_state,
            version=result.version,
            message=result.message,
            opened_cases=result.opened_cases,
        ),
        headers={"ETag": _etag(result.version)},
    )


@operation(
    api,
    "GET",
    "/cases/{case_id}/ocds",
    summary="A procurement's or contract's published notices as an OCDS 1.1 release package",
    tag="Cases",
    response=s.OcdsReleasePackage,
    errors=(404,),
)
def open_data(case_id: int):
    with core().db.reading() as session:
        package = ocds.case_release_package(core(), session, current_actor(), case_id)
    return json_response(s.OcdsReleasePackage(**package))


@operation(
    api,
    "GET",
    "/cases/{case_id}/forward-plan-notice",
    summary="The notice of a key decision to publish on the forward plan, drafted from the case (for its team, "
    "while the decision lies ahead; record its publication with the action record_forward_plan)",
    tag="Cases",
    response=s.ForwardPlanNoticeOut,
    errors=(404, 409),
)
def forward_plan_notice(case_id: int):
    with core().db.reading() as session:
        notice = forward_plan.notice_for(core(), session, current_actor(), case_id, core().engine.today())
    return json_response(s.ForwardPlanNoticeOut(**dataclasses.asdict(notice)))


@operation(
    api,
    "GET",
    "/cases/{case_id}/urgency-notice",
    summary="The notices of a key decision to be taken under an urgency rule (the general exception or special "
    "urgency), drafted from the case while the decision lies ahead",
    tag="Cases",
    response=s.UrgencyNoticeOut,
    errors=(404,),
)
def urgency_notice(case_id: int):
    with core().db.reading() as session:
        urgent = forward_plan.urgency_notice(core(), session, current_actor(), case_id)
    notice = urgent.notice
    return json_response(
        s.UrgencyNoticeOut(
            urgency=urgent.urgency.value,
            councils=list(notice.councils),
            matter=notice.matter,
            decision_makers=[dataclasses.asdict(maker) for maker in notice.decision_makers],
            decidable_from=urgent.decidable_from,
            given_on=urgent.given_on,
            agreed_by=urgent.agreed_by,
            reasons=urgent.reasons,
        )
    )


@operation(
    api,
    "POST",
    "/cases/{case_id}/notices",
    summary="Record a contract change, contract termination or procurement termination notice as published",
    tag="Cases",
    body=s.NoticeIn,
    response=s.KeyDate,
    errors=(403, 404, 409, 422),
)
def record_notice(case_id: int, body: s.NoticeIn):
    actor = current_actor()
    with core().db.reading() as session:
        case = reading.get_case_for(session, actor, case_id)  # a case you cannot see does not exist for you
    notices.record_notice(
        core(), case_id, actor.id, kind=body.kind, published_on=body.published_on, notice_id=body.notice_id
    )
    with core().db.reading() as session:
        return json_response(_key_date(case_deadline(session, case_id, body.kind), case.regime))


@operation(
    api,
    "POST",
    "/cases/{case_id}/kpis",
    summary="Set the KPIs of the contract a procurement will award, before it is signed (PA23 s52)",
    tag="Cases",
    body=s.ProcurementKpisIn,
    response=s.CaseOut,
    errors=(403, 404, 409, 422),
)
def set_procurement_kpis(case_id: int, body: s.ProcurementKpisIn):
    _visible_case(case_id)
    performance.set_procurement_kpis(
        core(), case_id, current_actor().id, [(k.name, k.target) for k in body.kpis], exemption=body.exemption
    )
    out, version = _case_out(case_id)
    return json_response(out, headers={"ETag": _etag(version)})


@operation(
    api,
    "GET",
    "/cases/{case_id}/audit",
    summary="A case's audit events in order, with the hash chain",
    tag="Cases",
    response=s.AuditTrail,
    errors=(404,),
)
def audit(case_id: int):
    with core().db.reading() as session:
        case = reading.get_case_for(session, current_actor(), case_id)
        events = reading.case_timeline(session, case_id)
        return json_response(
            s.AuditTrail(
                case_id=case_id,
                chain_verified=case_chain_intact(case, events),
                items=[_event(e) for e in events],
            )
        )


def _event(e: AuditEvent) -> s.AuditEventOut:
    return s.AuditEventOut(
        seq=e.seq,
        at=e.at,
        actor_id=e.actor_id,
        on_behalf_of_id=e.on_behalf_of_id,
        action=e.action,
        from_state=e.from_state,
        to_state=e.to_state,
        comment=e.comment,
        data=e.data or {},
        prev_hash=e.prev_hash,
        hash=e.hash,
    )


@operation(
    api,
    "POST",
    "/cases/{case_id}/notes",
    summary="Add a note to a case's history, without moving the case",
    tag="Cases",
    body=s.NoteIn,
    response=s.AuditEventOut,
    status=201,
    errors=(404, 422),
)
def add_note(case_id: int, body: s.NoteIn):
    seq = case_notes.add_note(core(), case_id, current_actor().id, body.note)
    with core().db.reading() as session:
        note = next(e for e in reading.case_timeline(session, case_id) if e.seq == seq)
        return json_response(_event(note), 201, headers={"Location": f"/api/v1/cases/{case_id}/audit"})


@operation(
    api,
    "POST",
    "/cases/{case_id}/closing-dates/{slug}",
    summary="Extend a procurement's closing date ('tenders' or 'participation') by a revised tender notice",
    tag="Cases",
    body=s.ClosingDateIn,
    response=s.CaseOut,
    errors=(403, 404, 409, 422),
)
def extend_closing_date(case_id: int, slug: str, body: s.ClosingDateIn):
    _visible_case(case_id)
    given = (body.closes_on, body.revised_notice_published_on, body.reason)
    periods.extend_closing_date(core(), case_id, current_actor().id, slug, *given, notice_id=body.notice_id)
    out, version = _case_out(case_id)
    return json_response(out, headers={"ETag": _etag(version)})


# --- approvals ---------------------------------------------------------------------------------------------
@operation(
    api,
    "GET",
    "/approvals",
    summary="Steps waiting for your decision, longest first",
    tag="Approvals",
    response=s.PendingApprovals,
)
def pending_approvals():
    with core().db.reading() as session:
        waiting = reading.approvals_waiting(core(), session, current_actor())
        return json_response(
            s.PendingApprovals(
                items=[
                    s.PendingApproval(
                        case=_summary(w.case),
                        gate=w.step.gate,
                        step_position=w.step.position,
                        role=w.step.role,
                        step_reason=w.step.reason,
                        on_behalf_of_id=w.on_behalf_of.id if w.on_behalf_of else None,
                        waited_days=w.waited_days,
                        decidable_from=w.decidable_from,
                    )
                    for w in waiting
                ]
            )
        )


@operation(
    api,
    "POST",
    "/approvals/{case_id}/decision",
    summary="Decide the open step of a case's gate",
    tag="Approvals",
    body=s.DecisionIn,
    response=s.ActionOut,
    if_match=True,
    errors=(403, 404, 409, 422),
)
def decide(case_id: int, body: s.DecisionIn):
    return _act(case_id, body.outcome, "", body.reason, {}, body.on_behalf_of_id, body.declaration, body.seen_through)


# --- contracts and tasks -------------------------------------------------------------------------------
def _contract(contract, case) -> s.ContractOut:
    return s.ContractOut(
        id=contract.id,
        reference=contract.reference,
        case_id=contract.case_id,
        procurement_case_id=contract.procurement_case_id,
        status=case.state,
        title=contract.title,
        authority=contract.authority,
        pillar=contract.pillar,
        category=contract.category,
        contract_type=contract.contract_type,
        regime=contract.regime,
        route=contract.route,
        supplier_name=contract.supplier_name,
        supplier_key=contract.supplier_key,
        supplier_registration=contract.supplier_registration,
        supplier_ppon=contract.supplier_ppon,
        supplier_is_sme=contract.supplier_is_sme,
        supplier_is_vcse=contract.supplier_is_vcse,
        supplier_is_supported_employment=contract.supplier_is_supported_employment,
        supplier_is_public_service_mutual=contract.supplier_is_public_service_mutual,
        value=_money(contract.value),
        irrecoverable_vat=_money(contract.irrecoverable_vat),
        start_date=contract.start_date,
        end_date=contract.end_date,
        extension_months_available=contract.extension_months_available,
        maximum_term_months=contract.maximum_term_months,
        notice_period_days=contract.notice_period_days,
        risk=contract.risk,
        contract_manager_id=contract.contract_manager_id,
    )


@operation(
    api,
    "GET",
    "/contracts",
    summary="The contract register, searched, filtered and paged",
    tag="Contracts",
    query=s.ContractQuery,
    response=s.ContractList,
)
def list_contracts(query: s.ContractQuery):
    register_query = reading.RegisterQuery(
        text=query.q,
        pillar=query.pillar,
        category=query.category,
        risk=query.risk,
        authority=query.authority,
        **reading.register_status(core(), query.status),
        expiring_within=query.expiring_within,
        ends_from=query.ends_from,
        ends_by=query.ends_by,
        manager_id=current_actor().id if query.managed_by_me else None,
        sort=query.sort,
        page=query.page,
    )
    with core().db.reading() as session:
        page = reading.register_page(session, current_actor(), register_query, core().engine.today(), query.per_page)
        items = [_contract(contract, case) for contract, case, _ in page.rows] if page.page == query.page else []
        return json_response(s.ContractList(items=items, page=query.page, per_page=query.per_page, total=page.total))


@operation(
    api,
    "GET",
    "/contracts/{contract_id}",
    summary="One contract",
    tag="Contracts",
    response=s.ContractOut,
    errors=(404,),
)
def get_contract(contract_id: int):
    return _contract_response(contract_id)


@operation(
    api,
    "GET",
    "/contracts/{contract_id}/payments",
    summary="What has been paid under a contract, newest first",
    tag="Contracts",
    query=s.PageQuery,
    response=s.ContractPayments,
    errors=(404,),
)
def contract_payments(contract_id: int, query: s.PageQuery):
    with core().db.reading() as session:
        contract = reading.get_contract_for(session, current_actor(), contract_id)
        paid, total = spend.contract_spend(session, contract.id)
        payments = spend.contract_payments(
            session, contract.id, limit=query.per_page, offset=(query.page - 1) * query.per_page
        )
        return json_response(
            s.ContractPayments(
                page=query.page,
                per_page=query.per_page,
                total=total,
                paid=_money(paid),
                items=[_payment(p) for p in payments],
            )
        )


def _payment(p) -> s.PaymentOut:
    return s.PaymentOut(
        id=p.id,
        authority=p.authority,
        transaction_number=p.transaction_number,
        paid_on=p.paid_on,
        invoice_received_on=p.invoice_received_on,
        supplier_name=REDACTED if p.to_individual else p.supplier_name,
        amount=_money(p.amount),
        irrecoverable_vat=_money(p.irrecoverable_vat),
        expense_type=p.expense_type,
        department=p.department,
        purpose=p.purpose,
    )


@operation(
    api,
    "GET",
    "/suppliers",
    summary="Suppliers whose names have the words given, however the register, payments and tenders spell them",
    tag="Suppliers",
    query=s.SupplierQuery,
    response=s.SupplierList,
    errors=(422,),
)
def find_suppliers(query: s.SupplierQuery):
    with core().db.reading() as session:
        found = suppliers.find_suppliers(session, current_actor(), query.q, core().engine.today())
    return json_response(
        s.SupplierList(
            items=[
                s.SupplierFoundOut(
                    key=f.key,
                    name=f.name,
                    contracts=f.contracts,
                    paid_this_year=_money(f.paid_this_year),
                    found_as=f.found_as,
                )
                for f in found
            ]
        )
    )


@operation(
    api,
    "GET",
    "/suppliers/sharing-a-number",
    summary="The intelligence team's: registration numbers and PPONs under names not recorded as one supplier",
    tag="Suppliers",
    response=s.SharedNumberList,
    errors=(403,),
)
def names_sharing_a_number():
    suppliers.require_recorder(current_actor())
    with core().db.reading() as session:
        shared = suppliers.names_sharing_a_number(session, current_actor())
    items = [
        s.SharedNumberOut(
            registration=number.number,
            names=[s.SupplierNameOut(key=key, name=name) for key, name in number.names],
        )
        for number in shared
    ]
    return json_response(s.SharedNumberList(items=items))


@operation(
    api,
    "GET",
    "/suppliers/names-alike",
    summary="The intelligence team's: suppliers whose names look alike, not recorded as one nor as different",
    tag="Suppliers",
    response=s.NamesAlikeList,
    errors=(403,),
)
def names_alike():
    suppliers.require_recorder(current_actor())
    with core().db.reading() as session:
        found = alike.names_alike(session, current_actor(), core().engine.today())
    items = [
        s.NamesAlikeOut(
            names=[
                s.AlikeNameOut(key=n.key, name=n.name, contracts=n.contracts, paid_this_year=_money(n.paid_this_year))
                for n in group.names
            ],
            cut_short=group.cut_short,
        )
        for group in found
    ]
    return json_response(s.NamesAlikeList(items=items))


@operation(
    api,
    "POST",
    "/suppliers/record-as-different",
    summary="Record suppliers as different companies (the intelligence team): no longer suggested as one",
    tag="Suppliers",
    body=s.DifferentSuppliersIn,
    response=s.DifferentSuppliersOut,
    errors=(403, 422),
)
def record_different_suppliers(body: s.DifferentSuppliersIn):
    keys = alike.record_different_suppliers(core(), current_actor().id, body.keys, body.reason)
    return json_response(s.DifferentSuppliersOut(keys=keys))


@operation(
    api,
    "GET",
    "/suppliers/{key}",
    summary="A supplier: its contracts in the register and what the councils paid it, as far as you may see",
    tag="Suppliers",
    response=s.SupplierOut,
    errors=(404,),
)
def get_supplier(key: str):
    return json_response(_supplier_out(key))


@operation(
    api,
    "POST",
    "/suppliers/{key}/same-as",
    summary="Record a supplier as another's name (the intelligence team): seen, found and counted as that one",
    tag="Suppliers",
    body=s.SameSupplierIn,
    response=s.SupplierOut,
    errors=(403, 404, 422),
)
def record_same_supplier(key: str, body: s.SameSupplierIn):
    same_as = suppliers.record_same_supplier(core(), current_actor().id, key, body.same_as, body.reason)
    return json_response(_supplier_out(same_as))


@operation(
    api,
    "POST",
    "/suppliers/{key}/separate",
    summary="Record a name recorded as another supplier's as a supplier of its own again (the intelligence team)",
    tag="Suppliers",
    body=s.SeparateSupplierIn,
    response=s.SupplierOut,
    errors=(403, 404, 422),
)
def separate_supplier(key: str, body: s.SeparateSupplierIn):
    suppliers.separate_supplier(core(), current_actor().id, key, body.reason)
    return json_response(_supplier_out(key))


def _supplier_out(key: str) -> s.SupplierOut:
    """The supplier (the one ``key`` is recorded as, if it is another's name) as the person may see it."""
    with core().db.reading() as session:
        found = suppliers.supplier(session, current_actor(), key, core().engine.today(), core().workflows)
        return s.SupplierOut(
            key=found.key,
            name=found.name,
            spellings=list(found.spellings),
            other_names=[
                s.OtherNameOut(
                    key=other.key,
                    name=other.name,
                    reason=other.reason,
                    recorded_by=other.recorded_by,
                    recorded_at=other.recorded_at,
                )
                for other in found.also
            ],
            registrations=list(found.registrations),
            ppons=list(found.ppons),
            contracts=[_contract(contract, contract.case) for contract in found.contracts],
            years=[
                s.YearPaidOut(
                    label=year.label,
                    starts=year.starts,
                    under_contract=_money(year.under_contract),
                    off_contract=_money(year.off_contract),
                    by_council={council: _money(paid) for council, paid in sorted(year.by_council.items())},
                    invoices_timed=year.timed,
                    paid_within_term_percent=payments_compliance.decimal_text(year.on_time_percent),
                )
                for year in found.years
            ],
            latest_payments=[_payment(p) for p in found.latest],
            tenders=[
                s.TenderMadeOut(
                    case_id=made.case.id,
                    reference=made.case.reference,
                    title=made.case.title,
                    received_on=made.received_on,
                    price=_money(made.price),
                    outcome=made.outcome,
                )
                for made in found.tenders
            ],
        )


def _compliance_period(period: str) -> payments_compliance.ReportingPeriod:
    try:
        return payments_compliance.ReportingPeriod.parse(period)
    except InvalidInput as error:
        raise NotFound(error.message) from None


def _compliance(figures: payments_compliance.PaymentsCompliance) -> s.PaymentsComplianceOut:
    period, approval = figures.period, figures.approval
    within_30, within_60, later = figures.by_band
    return s.PaymentsComplianceOut(
        authority=figures.authority,
        period=s.ReportingPeriodOut(
            code=period.code, label=period.label, starts=period.first_day, ends=period.ends, due_on=period.due_on
        ),
        owed=figures.owed,
        average_days=payments_compliance.decimal_text(figures.average_days),
        paid_within_days_1_to_30_percent=payments_compliance.decimal_text(within_30),
        paid_within_days_31_to_60_percent=payments_compliance.decimal_text(within_60),
        paid_on_day_61_or_later_percent=payments_compliance.decimal_text(later),
        payable_not_paid_percent=payments_compliance.decimal_text(figures.not_paid_percent),
        payments_counted=figures.paid,
        payable=figures.payable,
        payable_not_paid=figures.payable_not_paid,
        without_invoice_day=figures.undated,
        still_unpaid=figures.still_unpaid,
        unpaid_listed_on=figures.unpaid_listed_on,
        approval=s.ComplianceApprovalOut(name=approval.name, job_title=approval.job_title, on=approval.on)
        if approval
        else None,
        finance_officers=[s.FinanceOfficerOut(name=name, job_title=title) for name, title in figures.finance_officers],
    )


@operation(
    api,
    "GET",
    "/councils/{authority}/decision-records",
    summary="A council's decision records over the days asked (this financial year by default): an officer's "
    "over its figure and the Executive's, or only the key decisions taken under special urgency",
    tag="Statutory outputs",
    query=s.DecisionRecordsQuery,
    response=s.DecisionRecordsOut,
    errors=(403, 404, 422),
)
def council_decision_records(authority: str, query: s.DecisionRecordsQuery):
    transparency.may_keep_records_for(core(), authority, current_actor())
    since, until = transparency.records_asked_for(core().engine.today(), query.since, query.until)
    if until < since:  # the first day given, the last left to today
        raise InvalidInput({"until": f"must be on or after since ({since.isoformat()})"})
    with core().db.reading() as session:
        taken = transparency.decisions_taken(
            session, authority, since, until, only_special_urgency=query.special_urgency
        )
    items = [
        s.CouncilDecisionRecordOut(
            **{name: getattr(t.record, name) for name in s.DecisionRecordOut.model_fields if name != "value"},
            value=_money(t.record.value),
            case_id=t.record.case_id,
            case_reference=t.reference,
            documents=[document.filename for document in t.documents],
        )
        for t in taken
    ]
    return json_response(s.DecisionRecordsOut(authority=authority, since=since, until=until, items=items))


@operation(
    api,
    "GET",
    "/councils/{authority}/payments-compliance/{period}",
    summary="A council's payments compliance notice for a reporting period (UK17), from the spend loaded",
    tag="Statutory outputs",
    query=s.PaymentsComplianceQuery,
    response=s.PaymentsComplianceOut,
    errors=(403, 404, 422),
)
def get_payments_compliance(authority: str, period: str, query: s.PaymentsComplianceQuery):
    reporting_period = _compliance_period(period)
    with core().db.reading() as session:
        figures = payments_compliance.payments_compliance(
            core(), session, authority, reporting_period, still_unpaid=query.still_unpaid, actor=current_actor()
        )
        return json_response(_compliance(figures))


@operation(
    api,
    "POST",
    "/councils/{authority}/payments-compliance/{period}/approval",
    summary="The council's S151 officer approves its payments compliance notice as published; its task is done",
    tag="Statutory outputs",
    body=s.PaymentsComplianceApprovalIn,
    response=s.PaymentsComplianceOut,
    errors=(403, 404, 409, 422),
)
def approve_payments_compliance(authority: str, period: str, body: s.PaymentsComplianceApprovalIn):
    reporting_period = _compliance_period(period)
    payments_compliance.approve_notice(
        core(), authority, reporting_period, current_actor().id, still_unpaid=body.still_unpaid, note=body.note
    )
    with core().db.reading() as session:
        return json_response(
            _compliance(payments_compliance.payments_compliance(core(), session, authority, reporting_period))
        )


def _performance_response(contract_id: int, status: int = 200) -> Response:
    with core().db.reading() as session:
        contract = reading.get_contract_for(session, current_actor(), contract_id)
        required, basis = performance.kpis_required(session, contract)
        out = s.PerformanceOut(
            contract_id=contract.id,
            kpis_required=required,
            basis=basis,
            kpis=[_out(s.KpiOut, k) for k in performance.kpis_of(session, contract.id)],
            assessments=[_out(s.AssessmentOut, a) for a in performance.assessments_of(session, contract.id)],
        )
    return json_response(out, status=status)


@operation(
    api,
    "GET",
    "/contracts/{contract_id}/performance",
    summary="A contract's KPIs and the assessments against them",
    tag="Contracts",
    response=s.PerformanceOut,
    errors=(404,),
)
def get_performance(contract_id: int):
    return _performance_response(contract_id)


@operation(
    api,
    "POST",
    "/contracts/{contract_id}/kpis",
    summary="Set a contract's KPIs, replacing any before",
    tag="Contracts",
    body=s.KpisIn,
    response=s.PerformanceOut,
    errors=(403, 404, 409, 422),
)
def set_kpis(contract_id: int, body: s.KpisIn):
    _contract_seen(contract_id)
    performance.set_kpis(core(), contract_id, current_actor().id, [(k.name, k.target) for k in body.kpis])
    return _performance_response(contract_id)


@operation(
    api,
    "POST",
    "/contracts/{contract_id}/kpi-assessments",
    summary="Record an assessment against the KPIs, published as a contract performance notice (UK9)",
    tag="Contracts",
    body=s.AssessmentIn,
    response=s.PerformanceOut,
    status=201,
    errors=(403, 404, 409, 422),
)
def record_assessment(contract_id: int, body: s.AssessmentIn):
    with core().db.reading() as session:
        reading.get_contract_for(session, current_actor(), contract_id)
    performance.record_assessment(
        core(),
        contract_id,
        current_actor().id,
        period_starts=body.period_starts,
        period_ends=body.period_ends,
        ratings={r.kpi_id: performance.Rating(r.rating, r.comment) for r in body.ratings},
        published_on=body.published_on,
        notice_id=body.notice_id,
    )
    return _performance_response(contract_id, status=201)


def _contract_seen(contract_id: int) -> None:
    """A contract you cannot see does not exist for you (404), whatever you ask to do to it."""
    with core().db.reading() as session:
        reading.get_contract_for(session, current_actor(), contract_id)


def _contract_response(contract_id: int, *, etag: bool = False) -> Response:
    """The contract, with its case's ETag where asked (after a change that can be made If-Match)."""
    with core().db.reading() as session:
        contract = reading.get_contract_for(session, current_actor(), contract_id)
        case = session.get(Case, contract.case_id)
        review = next_review(core(), contract, case, contract_tasks(session, contract.id))
        reviews = s.ReviewsOut(every_months=review.every_months, next_due_on=review.due_on, follow_up=review.follow_up)
        headers = {"ETag": _etag(case.version)} if etag else None
        return json_response(_contract(contract, case).model_copy(update={"reviews": reviews}), headers=headers)


@operation(
    api,
    "POST",
    "/contracts/{contract_id}/risk",
    summary="Rate a contract's risk again, saying why (it sets how often the contract is reviewed)",
    tag="Contracts",
    body=s.ContractRiskIn,
    response=s.ContractOut,
    errors=(403, 404, 409, 422),
)
def set_risk(contract_id: int, body: s.ContractRiskIn):
    _contract_seen(contract_id)
    set_contract_risk(core(), contract_id, current_actor().id, risk=body.risk, reason=body.reason)
    return _contract_response(contract_id)


@operation(
    api,
    "PATCH",
    "/contracts/{contract_id}/details",
    summary="Correct a contract's record (a detail the register has wrong, or has learnt since), saying why; "
    "only the details given change",
    tag="Contracts",
    body=s.ContractCorrectionIn,
    response=s.ContractOut,
    if_match=True,  # the contract's case's ETag: a change to it since is refused (409)
    errors=(400, 403, 404, 409, 422),
)
def correct_contract_record(contract_id: int, body: s.ContractCorrectionIn):
    _contract_seen(contract_id)
    corrections = body.model_dump(exclude_unset=True, exclude={"reason"})
    correct_contract(
        core(), contract_id, current_actor().id, corrections, reason=body.reason, expected_version=_if_match()
    )
    return _contract_response(contract_id, etag=True)


@operation(
    api,
    "POST",
    "/contracts/{contract_id}/contract-manager",
    summary="Hand the contract to another contract manager; their open tasks for it go too",
    tag="Contracts",
    body=s.ContractManagerIn,
    response=s.ContractOut,
    errors=(403, 404, 422),
)
def set_contract_manager(contract_id: int, body: s.ContractManagerIn):
    _contract_seen(contract_id)
    assign_contract_manager(core(), contract_id, current_actor().id, manager_id=body.manager_id, reason=body.reason)
    return _contract_response(contract_id)


def _team_response(case_id: int) -> Response:
    with core().db.reading() as session:
        case = reading.get_case_for(session, current_actor(), case_id)
        members = teams.team_of(session, case.id)
    out = [s.TeamMemberOut(user_id=m.user_id, name=m.name, part=m.part, active=m.active, declaration=m.declaration)
           for m in members]  # fmt: skip
    return json_response(s.TeamOut(case_id=case_id, members=out))


@operation(api, "GET", "/cases/{case_id}/team", summary="Who works on a procurement, and their declarations",
           tag="Cases", response=s.TeamOut, errors=(404,))  # fmt: skip
def get_team(case_id: int):
    return _team_response(case_id)


@operation(
    api,
    "POST",
    "/cases/{case_id}/team/members",
    summary="Name someone on a procurement's team or evaluation panel; they are asked to declare",
    tag="Cases",
    body=s.TeamMemberIn,
    response=s.TeamOut,
    errors=(403, 404, 422),
)
def add_to_team(case_id: int, body: s.TeamMemberIn):
    _visible_case(case_id)
    teams.add_team_member(core(), case_id, current_actor().id, user_id=body.user_id, part=body.part)
    return _team_response(case_id)


@operation(
    api,
    "DELETE",
    "/cases/{case_id}/team/members/{user_id}",
    summary="Take someone off a procurement's team (their declarations stay on the record)",
    tag="Cases",
    response=s.TeamOut,
    errors=(403, 404, 422),
)
def remove_from_team(case_id: int, user_id: int):
    _visible_case(case_id)
    teams.remove_team_member(core(), case_id, current_actor().id, user_id=user_id)
    return _team_response(case_id)


def _evaluation_response(case_id: int, status: int = 200) -> Response:
    actor = current_actor()
    with core().db.reading() as session:
        case = reading.get_case_for(session, actor, case_id)
        if case.stage != "procurement":
            raise NotFound(f"{case.reference} is not a procurement: only a procurement has tenders")
        found = evaluation_of(session, case.id)
        requests = requests_to_participate(session, case.id)
        shown = reading.may_see_tenders(session, actor, case)
    criteria = [_out(s.CriterionOut, c) for c in found.criteria]
    tenders = [_tender_out(standing) for standing in found.standings] if shown else None
    leaders = [standing.tender.id for standing in found.leaders]
    out = s.EvaluationOut(
        case_id=case_id,
        criteria=criteria,
        requests_to_participate_received=len(requests),
        requests_to_participate=[_out(s.ParticipationRequestOut, made) for made in requests] if shown else None,
        tenders_received=len(found.standings),
        tenders=tenders,
        complete=found.complete,
        most_advantageous=leaders,
    )
    return json_response(out, status=status)


def _tender_out(standing: Standing) -> s.TenderOut:
    tender = standing.tender
    return s.TenderOut(
        **{name: getattr(tender, name) for name in s.TenderIn.model_fields if name != "price"},
        id=tender.id,
        price=_money(tender.price),
        scores=[
            s.ScoreOut(criterion_id=c, score=score.score, reasons=score.reasons) for c, score in standing.scores.items()
        ],
        points={str(c): str(points) for c, points in standing.points.items()},
        total=None if standing.total is None else str(standing.total),
        rank=standing.rank,
        short_of=list(standing.short_of),
    )


@operation(api, "GET", "/cases/{case_id}/evaluation", summary="A procurement's award criteria and tenders, scored",
           tag="Evaluation", response=s.EvaluationOut, errors=(404,))  # fmt: skip
def get_evaluation(case_id: int):
    return _evaluation_response(case_id)


@operation(
    api,
    "PUT",
    "/cases/{case_id}/evaluation/criteria",
    summary="Set a procurement's award criteria before suppliers are invited (PA23 s23)",
    tag="Evaluation",
    body=s.AwardCriteriaIn,
    response=s.EvaluationOut,
    errors=(403, 404, 409, 422),
)
def set_award_criteria(case_id: int, body: s.AwardCriteriaIn):
    _visible_case(case_id)
    rows = [
        (c.name, c.kind, str(c.weighting), "" if c.minimum_score is None else str(c.minimum_score))
        for c in body.criteria
    ]
    evaluation.set_award_criteria(core(), case_id, current_actor().id, rows)
    return _evaluation_response(case_id)


def _scores_given(body: s.ScoresIn) -> dict[int, tuple[str, str]]:
    """Scores or marks as the evaluation service takes them: by criterion id, (score, reasons)."""
    return {score.criterion_id: (str(score.score), score.reasons) for score in body.scores}


@operation(
    api,
    "PUT",
    "/cases/{case_id}/evaluation/invitations",
    summary="Correct the suppliers a competitive flexible procedure invited to tender (the tenders are weighed again)",
    tag="Evaluation",
    body=s.InvitationsIn,
    response=s.EvaluationOut,
    errors=(403, 404, 409, 422),
)
def correct_invitations(case_id: int, body: s.InvitationsIn):
    _visible_case(case_id)
    given = "\n".join(name.replace("\n", " ") for name in body.invited_suppliers)
    evaluation.correct_invitations(core(), case_id, current_actor().id, given, body.reason)
    return _evaluation_response(case_id)


@operation(
    api,
    "POST",
    "/cases/{case_id}/evaluation/requests-to-participate",
    summary="Record a request to participate in a competitive flexible procedure, in its participation period",
    tag="Evaluation",
    body=s.ParticipationRequestIn,
    response=s.EvaluationOut,
    status=201,
    errors=(403, 404, 409, 422),
)
def record_participation_request(case_id: int, body: s.ParticipationRequestIn):
    _visible_case(case_id)
    given = evaluation.RequestGiven(**body.model_dump())
    evaluation.record_request(core(), case_id, current_actor().id, given)
    return _evaluation_response(case_id, status=201)


@operation(
    api,
    "PUT",
    "/cases/{case_id}/evaluation/requests-to-participate/{request_id}",
    summary="Correct a request to participate, or set it aside saying why (before tenders are invited, or once in)",
    tag="Evaluation",
    body=s.ParticipationRequestIn,
    response=s.EvaluationOut,
    errors=(403, 404, 409, 422),
)
def correct_participation_request(case_id: int, request_id: int, body: s.ParticipationRequestIn):
    _visible_case(case_id)
    given = evaluation.RequestGiven(**body.model_dump())
    evaluation.record_request(core(), case_id, current_actor().id, given, request_id=request_id)
    return _evaluation_response(case_id)


@operation(
    api,
    "POST",
    "/cases/{case_id}/evaluation/requests-to-participate/{request_id}/remove",
    summary="Take off a request to participate recorded in error",
    tag="Evaluation",
    response=s.EvaluationOut,
    errors=(403, 404, 409),
)
def remove_participation_request(case_id: int, request_id: int):
    _visible_case(case_id)
    evaluation.remove_request(core(), case_id, current_actor().id, request_id)
    return _evaluation_response(case_id)


def _tender_given(body: s.TenderIn) -> evaluation.TenderGiven:
    return evaluation.TenderGiven(**body.model_dump())


@operation(
    api,
    "POST",
    "/cases/{case_id}/evaluation/tenders",
    summary="Record a tender received, once the tender period has closed",
    tag="Evaluation",
    body=s.TenderIn,
    response=s.EvaluationOut,
    status=201,
    errors=(403, 404, 409, 422),
)
def record_tender(case_id: int, body: s.TenderIn):
    _visible_case(case_id)
    evaluation.record_tender(core(), case_id, current_actor().id, _tender_given(body))
    return _evaluation_response(case_id, status=201)


@operation(
    api,
    "PUT",
    "/cases/{case_id}/evaluation/tenders/{tender_id}",
    summary="Correct a tender recorded (one now not assessed loses its scores)",
    tag="Evaluation",
    body=s.TenderIn,
    response=s.EvaluationOut,
    errors=(403, 404, 409, 422),
)
def correct_tender(case_id: int, tender_id: int, body: s.TenderIn):
    _visible_case(case_id)
    evaluation.record_tender(core(), case_id, current_actor().id, _tender_given(body), tender_id=tender_id)
    return _evaluation_response(case_id)


@operation(
    api,
    "POST",
    "/cases/{case_id}/evaluation/tenders/{tender_id}/remove",
    summary="Take off a tender recorded in error, with its scores",
    tag="Evaluation",
    response=s.EvaluationOut,
    errors=(403, 404, 409),
)
def remove_tender(case_id: int, tender_id: int):
    _visible_case(case_id)
    evaluation.remove_tender(core(), case_id, current_actor().id, tender_id)
    return _evaluation_response(case_id)


@operation(
    api,
    "PUT",
    "/cases/{case_id}/evaluation/tenders/{tender_id}/scores",
    summary="The panel's agreed scores for a tender, with their reasons (price is scored by formula)",
    tag="Evaluation",
    body=s.ScoresIn,
    response=s.EvaluationOut,
    errors=(403, 404, 409, 422),
)
def score_tender(case_id: int, tender_id: int, body: s.ScoresIn):
    _visible_case(case_id)
    evaluation.score_tender(core(), case_id, current_actor().id, tender_id, _scores_given(body))
    return _evaluation_response(case_id)


@operation(
    api,
    "PUT",
    "/cases/{case_id}/evaluation/tenders/{tender_id}/marks",
    summary="An evaluator's own marks for a tender, given alone before the panel agrees its score",
    tag="Evaluation",
    body=s.ScoresIn,
    response=s.EvaluationOut,
    errors=(403, 404, 409, 422),
)
def mark_tender(case_id: int, tender_id: int, body: s.ScoresIn):
    _visible_case(case_id)
    evaluation.mark_tender(core(), case_id, current_actor().id, tender_id, _scores_given(body))
    return _evaluation_response(case_id)


@operation(
    api,
    "POST",
    "/cases/{case_id}/declarations",
    summary="Declare your interests in a case (none, or a conflict and its mitigation) without acting on it",
    tag="Cases",
    body=s.Declaration,
    response=s.DeclarationOut,
    errors=(403, 404, 422),
)
def declare(case_id: int, body: s.Declaration):
    _visible_case(case_id)
    core().engine.declare_interests(
        case_id, current_actor().id, has_conflict=body.has_conflict, details=body.details, mitigation=body.mitigation
    )
    blocks = declaration_blocks(body.has_conflict, body.mitigation)
    return json_response(s.DeclarationOut(case_id=case_id, has_conflict=body.has_conflict, blocks=blocks))


def _task(session, task: Task) -> s.TaskOut:
    return s.TaskOut(
        id=task.id,
        kind=task.kind,
        title=task.title,
        detail=task.detail,
        contract_id=task.contract_id,
        case_id=task.case_id,
        framework_id=task.framework_id,
        assignee_id=task.assignee_id,
        due_on=task.due_on,
        status=task.status,
        snoozed_until=task.snoozed_until,
        snooze_reason=task.snooze_reason,
        outcome=task.outcome,
        outcome_label=outcome_label(task.kind, task.outcome),
        follow_up_task_id=(task.outcome_data or {}).get("follow_up_task_id"),
        came_of_it=review_consequence(core(), session, task),
        outcomes=[s.Named(code=code, name=label) for code, label in outcomes_for(task.kind)],
        raised_at=task.created_at,
        overdue_from=task.overdue_from(),
        escalated_at=task.escalated_at,
        escalated_to=task.escalated_to or [],
    )


def _task_for(session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    case = session.get(Case, task.case_id) if task and task.case_id else None
    if task is None or not may_see_task(current_actor(), task, case):
        raise NotFound(f"There is no task {task_id} of yours")
    return task


@operation(api, "GET", "/tasks", summary="Your open tasks (or your team's, or your councils' notices), statutory first",
           tag="Tasks", query=s.TaskQuery, response=s.TaskList, errors=(422,))  # fmt: skip
def list_tasks(query: s.TaskQuery):
    with core().db.reading() as session:
        if query.assignee_id is not None and query.whose != "team":
            raise InvalidInput({"assignee_id": "Give a colleague only with whose=team: your team's tasks of theirs"})
        if query.whose == "team":
            team = reading.team_tasks(session, current_actor(), query.assignee_id)
            if team is None:
                raise InvalidInput({"whose": "You are in no category team: your own tasks are all you have"})
            tasks = [row.task for row in team]
        elif query.whose == "council":
            overseer = schedule_for(core()).duty_escalate_to
            councils = councils_with_duties_for(current_actor(), overseer)
            if not councils:
                raise InvalidInput({"whose": "You publish, cover for or oversee no council's own notices or reports"})
            tasks = [duty.task for duty in council_duties(session, councils)]
        else:
            tasks = reading.open_tasks_of(session, current_actor().id, today=core().engine.today(), sort=query.sort)
        return json_response(s.TaskList(items=[_task(session, t) for t in tasks]))


@operation(api, "GET", "/tasks/{task_id}", summary="One task", tag="Tasks", response=s.TaskOut, errors=(404,))
def get_task(task_id: int):
    with core().db.reading() as session:
        return json_response(_task(session, _task_for(session, task_id)))


@operation(
    api,
    "POST",
    "/tasks/{task_id}/complete",
    summary="Complete a task with an outcome",
    tag="Tasks",
    body=s.CompleteTaskIn,
    response=s.TaskOut,
    errors=(403, 404, 409, 422),
)
def complete(task_id: int, body: s.CompleteTaskIn):
    return _change_task(
        task_id, lambda actor: complete_task(core(), task_id, actor, outcome=body.outcome, note=body.note)
    )


@operation(
    api,
    "POST",
    "/cases/{case_id}/decision-records/{record_id}/report-required",
    summary="Record that the council's scrutiny committee requires a report to the council on an officer's "
    "decision it holds should have been a key decision (2012 regs reg 18): the monitoring officer's task",
    tag="Tasks",
    body=s.KeyDecisionReportIn,
    response=s.TaskOut,
    status=201,
    errors=(403, 404, 409, 422),
)
def require_key_decision_report(case_id: int, record_id: int, body: s.KeyDecisionReportIn):
    with core().db.reading() as session:
        reading.get_case_for(session, current_actor(), case_id)  # a case you cannot see does not exist for you
    required = key_decision_reports.ReportRequired(body.committee, body.resolved_on, body.report_by, body.why)
    task_id = key_decision_reports.require_report(core(), case_id, record_id, current_actor().id, required)
    with core().db.reading() as session:
        task = _task(session, session.get(Task, task_id))
    return json_response(task, 201, headers={"Location": f"/api/v1/tasks/{task_id}"})


@operation(
    api,
    "POST",
    "/tasks/{task_id}/snooze",
    summary="Snooze a task to a later date, with a reason",
    tag="Tasks",
    body=s.SnoozeTaskIn,
    response=s.TaskOut,
    errors=(403, 404, 409, 422),
)
def snooze(task_id: int, body: s.SnoozeTaskIn):
    return _change_task(
        task_id, lambda actor: snooze_task(core(), task_id, actor, until=body.until, reason=body.reason)
    )


@operation(
    api,
    "POST",
    "/tasks/{task_id}/pass",
    summary="Pass a task to a colleague who could do it, with a reason",
    tag="Tasks",
    body=s.PassTaskIn,
    response=s.TaskOut,
    errors=(403, 404, 409, 422),
)
def pass_on(task_id: int, body: s.PassTaskIn):
    return _change_task(
        task_id,
        lambda actor: pass_task_on(core(), task_id, actor, assignee_id=body.assignee_id, reason=body.reason),
    )


@operation(
    api,
    "POST",
    "/tasks/of/{person_id}/pass",
    summary="Pass every open task of someone (leaving, moving post) that you may pass on to one colleague who "
    "could do each of them, all or none; the tasks passed, as they are now",
    tag="Tasks",
    body=s.PassTaskIn,
    response=s.TaskList,
    errors=(404, 422),
)
def pass_all_on(person_id: int, body: s.PassTaskIn):
    with core().db.reading() as session:
        if not passable_tasks(core(), session, person_id, current_actor()):
            raise NotFound("They have no open task that you can pass on")
    passed = pass_all_tasks_on(core(), person_id, current_actor().id, assignee_id=body.assignee_id, reason=body.reason)
    with core().db.reading() as session:
        return json_response(s.TaskList(items=[_task(session, session.get(Task, task_id)) for task_id in passed]))


def _change_task(task_id: int, change) -> Response:
    """A task you cannot see does not exist for you (404); one you may see but not act on is refused (403) by the
    service, which makes the change; the task as it is now."""
    with core().db.reading() as session:
        _task_for(session, task_id)
    change(current_actor().id)
    with core().db.reading() as session:
        return json_response(_task(session, session.get(Task, task_id)))


# --- dynamic markets --------------------------------------------------------------------------------------------
def _market_summary(market, model=s.MarketSummaryOut, **more):
    return model(
        **{name: getattr(market, name) for name in ("id", "reference", "title", "authority", "pillar", "category")},
        status=status_of(market),
        members=len(members_of(market)),
        applications_waiting=sum(1 for m in market.memberships if m.waiting),
        **more,
    )


def _market_response(market_id: int, status: int = 200) -> Response:
    with core().db.reading() as session:
        market = markets.market_for(session, current_actor(), market_id)
        procurements = markets.procurements_by_reference_to(session, market)
        out = _market_summary(
            market,
            s.MarketOut,
            description=market.description,
            conditions=market.conditions,
            parts=market.parts,
            notices=[_out(s.MarketNoticeOut, notice) for notice in market.notices],
            applications=[
                s.MembershipOut.model_validate(
                    {
                        **{n: getattr(m, n) for n in s.MembershipOut.model_fields if n not in ("status", "extends")},
                        "status": m.standing,
                        "extends": m.extends_id,
                    }
                )
                for m in market.memberships
            ],
            procurements=[case.reference for case in procurements],
        )
    return json_response(out, status=status)


@operation(api, "GET", "/markets", summary="The dynamic markets of the councils you work for", tag="Dynamic markets",
           response=s.MarketList)  # fmt: skip
def list_markets():
    with core().db.reading() as session:
        found = markets.markets_for(session, current_actor())
        return json_response(s.MarketList(items=[_market_summary(market) for market in found]))


@operation(api, "GET", "/markets/{market_id}", summary="A dynamic market: its notices, members and applications",
           tag="Dynamic markets", response=s.MarketOut, errors=(404,))  # fmt: skip
def get_market(market_id: int):
    return _market_response(market_id)


@operation(
    api,
    "GET",
    "/markets/{market_id}/ocds",
    summary="A dynamic market's notices (UK13 to UK16) as an OCDS 1.1 release package",
    tag="Dynamic markets",
    response=s.OcdsReleasePackage,
    errors=(404,),
)
def market_open_data(market_id: int):
    with core().db.reading() as session:
        package = ocds.market_release_package(core(), session, current_actor(), market_id)
    return json_response(s.OcdsReleasePackage(**package))


@operation(
    api,
    "POST",
    "/markets/{market_id}/applications",
    summary="Record a supplier's application to join a dynamic market (what an e-tendering portal sends)",
    tag="Dynamic markets",
    body=s.MarketApplicationIn,
    response=s.MarketOut,
    status=201,
    errors=(403, 404, 409, 422),
)
def apply_to_market(market_id: int, body: s.MarketApplicationIn):
    markets.record_application(core(), market_id, current_actor().id, markets.ApplicationGiven(**body.model_dump()))
    return _market_response(market_id, status=201)


@operation(
    api,
    "POST",
    "/markets",
    summary="Open a dynamic market once its intention notice (UK13) is published",
    tag="Dynamic markets",
    body=s.MarketIn,
    response=s.MarketOut,
    status=201,
    errors=(403, 422),
)
def open_market(body: s.MarketIn):
    market_id = markets.open_market(core(), current_actor().id, markets.MarketGiven(**body.model_dump()))
    return _market_response(market_id, status=201)


@operation(
    api,
    "POST",
    "/markets/{market_id}/notices",
    summary="Record a dynamic market's establishment (UK14), a modification (UK15) or its cessation (UK16)",
    tag="Dynamic markets",
    body=s.MarketNoticeIn,
    response=s.MarketOut,
    status=201,
    errors=(403, 404, 409, 422),
)
def record_market_notice(market_id: int, body: s.MarketNoticeIn):
    kind = MarketNoticeKind(body.kind)
    given = (body.published_on, body.summary, body.parts_added, body.notice_id)
    markets.record_notice(core(), market_id, current_actor().id, kind, *given)
    return _market_response(market_id, status=201)


@operation(
    api,
    "POST",
    "/markets/{market_id}/applications/{membership_id}/admit",
    summary="Admit an applicant, once checked against the exclusion grounds and the debarment list (s36)",
    tag="Dynamic markets",
    body=s.AdmissionIn,
    response=s.MarketOut,
    errors=(403, 404, 409, 422),
)
def admit_to_market(market_id: int, membership_id: int, body: s.AdmissionIn):
    dates = (body.decided_on, body.exclusions_checked_on)
    markets.admit(core(), market_id, membership_id, current_actor().id, *dates, parts=body.parts)
    return _market_response(market_id)


@operation(
    api,
    "POST",
    "/markets/{market_id}/applications/{membership_id}/refuse",
    summary="Refuse an application to join a dynamic market, saying why",
    tag="Dynamic markets",
    body=s.DatedReasonIn,
    response=s.MarketOut,
    errors=(403, 404, 409, 422),
)
def refuse_market_application(market_id: int, membership_id: int, body: s.DatedReasonIn):
    markets.refuse(core(), market_id, membership_id, current_actor().id, body.on, body.because)
    return _market_response(market_id)


@operation(
    api,
    "POST",
    "/markets/{market_id}/applications/{membership_id}/remove",
    summary="Remove a member from a dynamic market, saying why (s37)",
    tag="Dynamic markets",
    body=s.DatedReasonIn,
    response=s.MarketOut,
    errors=(403, 404, 409, 422),
)
def remove_market_member(market_id: int, membership_id: int, body: s.DatedReasonIn):
    markets.remove_member(core(), market_id, membership_id, current_actor().id, body.on, body.because)
    return _market_response(market_id)


# --- frameworks -------------------------------------------------------------------------------------------------
def _framework_out(session, framework, call_offs, reopened: list[date]) -> s.FrameworkOut:
    """A framework with its call-offs (``call_offs``, the cases called off under it, newest first: those the
    person may see named) and, open, its re-openings (``reopened``: when each was awarded)."""
    made = frameworks.what_was_called_off(call_offs, core().workflows)
    seen, not_seen = frameworks.call_offs_seen(session, current_actor(), made)
    fees = frameworks.fees_on(framework, made)
    due = frameworks.reopening_due(framework, reopened)
    return s.FrameworkOut(
        **{name: getattr(framework, name) for name in s.FrameworkIn.model_fields if name != "fee_percent"},
        fee_percent=frameworks.fee_as_written(framework) or None,
        id=framework.id,
        running=running_on(framework, core().engine.today()),
        runs_past_the_usual_term=frameworks.runs_past_the_usual_term(framework),
        call_offs=[call_off.case.reference for call_off in seen],
        call_offs_not_seen=not_seen,
        call_offs_awarded=sum(call_off.awarded for call_off in made),
        value_awarded=_money(frameworks.value_awarded(made)),
        fees_on_awarded=None if fees is None else _money(fees),
        reopened_on=sorted(reopened),
        reopening_due_by=due.due_on if due else None,
    )


def _framework_response(framework_id: int, status: int = 200) -> Response:
    with core().db.reading() as session:
        framework = frameworks.framework_for(session, current_actor(), framework_id)
        reopened = [reopening.awarded_on for reopening in frameworks.reopenings_of(session, framework.id)]
        out = _framework_out(session, framework, frameworks.call_offs_under(session, framework), reopened)
        return json_response(out, status=status)


@operation(api, "GET", "/frameworks", summary="The frameworks the councils you work for call off from",
           tag="Frameworks", response=s.FrameworkList)  # fmt: skip
def list_frameworks():
    with core().db.reading() as session:
        found = frameworks.frameworks_for(session, current_actor())
        call_offs = frameworks.call_offs_by_framework(session)  # one query for them all
        reopened = frameworks.reopenings_by_framework(session)
        items = [
            _framework_out(session, framework, call_offs.get(framework.id, []), reopened.get(framework.id, []))
            for framework in found
        ]
        return json_response(s.FrameworkList(items=items))


@operation(api, "GET", "/frameworks/{framework_id}", summary="A framework, with the call-offs made under it",
           tag="Frameworks", response=s.FrameworkOut, errors=(404,))  # fmt: skip
def get_framework(framework_id: int):
    return _framework_response(framework_id)


@operation(
    api,
    "POST",
    "/frameworks",
    summary="Add a framework to the register, with the law it was procured under",
    tag="Frameworks",
    body=s.FrameworkIn,
    response=s.FrameworkOut,
    status=201,
    errors=(403, 422),
)
def add_framework(body: s.FrameworkIn):
    framework_id = frameworks.record_framework(
        core(), current_actor().id, frameworks.FrameworkGiven(**body.model_dump())
    )
    return _framework_response(framework_id, status=201)


@operation(
    api,
    "PUT",
    "/frameworks/{framework_id}/details",
    summary="Correct a framework in the register",
    tag="Frameworks",
    body=s.FrameworkIn,
    response=s.FrameworkOut,
    errors=(403, 404, 422),
)
def correct_framework(framework_id: int, body: s.FrameworkIn):
    given = frameworks.FrameworkGiven(**body.model_dump())
    frameworks.record_framework(core(), current_actor().id, given, framework_id=framework_id)
    return _framework_response(framework_id)


@operation(
    api,
    "POST",
    "/frameworks/{framework_id}/reopenings",
    summary="Record an open framework's re-opening: the next framework of its scheme awarded, and to whom",
    tag="Frameworks",
    body=s.ReopeningIn,
    response=s.FrameworkOut,
    status=201,
    errors=(403, 404, 409, 422),
)
def reopen_framework(framework_id: int, body: s.ReopeningIn):
    frameworks.record_reopening(core(), framework_id, current_actor().id, body.awarded_on, body.suppliers)
    return _framework_response(framework_id, status=201)
