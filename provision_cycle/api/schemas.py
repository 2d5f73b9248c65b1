"""The API's request and response shapes. Requests forbid unknown fields; money travels as a decimal string
("250000.00") so no value is ever rounded through a float."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ..governance.calendar import implausible
from ..governance.statutory import DirectAwardGround
from ..models.base import MAX_ID
from ..workflow.evaluation import TOP_SCORE

Money = str
Stage = Literal["commissioning", "procurement"]
ContractType = Literal["goods", "services", "works", "light_touch"]
Vat = Literal["standard", "reduced", "zero", "exempt"]
Text = Field(default="", max_length=5000)


def _on_or_after(first: str, last: str) -> Any:
    """A query's validator: its date ``last`` is not before its date ``first``, where both are given."""

    def check(cls: type, value: date | None, info: ValidationInfo) -> date | None:
        earlier = info.data.get(first)
        if value and earlier and value < earlier:
            raise ValueError(f"must be on or after {first}")
        return value

    return field_validator(last)(classmethod(check))


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _plausible(cls, value: Any) -> Any:
        """Every date a client gives within the years a person may mean (as the engine's door has its own)."""
        if isinstance(value, date) and (problem := implausible(value)):
            raise ValueError(problem)
        return value


class Page(BaseModel):
    page: int
    per_page: int
    total: int


class PageQuery(Request):
    page: int = Field(default=1, ge=1, le=100000)
    per_page: int = Field(default=25, ge=1, le=100)


# --- reference data -------------------------------------------------------------------------------------
class Named(BaseModel):
    code: str
    name: str


class PillarOut(Named):
    categories: list[Named]


class RoleOut(Named):
    rank: int
    pillar_scoped: bool


class Reference(BaseModel):
    authorities: list[Named]
    joint: Named
    pillars: list[PillarOut]
    roles: list[RoleOut]


class OptionOut(BaseModel):
    code: str
    label: str


class InputOut(BaseModel):
    name: str
    type: str
    label: str
    optional: bool
    when: list[str] = Field(
        description="The conditions on a case for the input to be asked at all (empty: always); a case's "
        "available actions list only the inputs asked on it, and an input not asked is refused"
    )
    under: str | None = Field(
        description="A follow-up question: asked only after the answer yes (true) to the input of this name"
    )
    options: list[OptionOut] = Field(
        description="A choice's answers on this case (send the code); empty for other types, and for a choice in "
        "a workflow's definition, whose answers depend on the case"
    )
    required_when: list[str] = Field(
        description="The conditions (which may read the other answers) under which an optional input must be "
        "answered: a case's available actions mark it required where they hold before anything is sent"
    )
    hint: str = Field(description="What the question needs, said under it")
    suggestions: list[str] = Field(
        description="A line's likely answers on this case (a call-off's framework's suppliers), offered as it is "
        "typed; others are not refused for not being among them"
    )


class TransitionOut(BaseModel):
    trigger: str
    label: str
    sources: list[str]
    dest: str | None
    by: list[str]
    inputs: list[InputOut]
    reason_required: bool


class StateOut(BaseModel):
    name: str
    label: str
    final: bool
    editable: bool
    gate: str | None


class WorkflowOut(BaseModel):
    name: str
    version: int
    stage: str
    title: str
    initial: str
    states: list[StateOut]
    transitions: list[TransitionOut]
    gates: list[str]


class WorkflowList(BaseModel):
    items: list[WorkflowOut]


# --- route preview --------------------------------------------------------------------------------------
class RoutePreviewIn(Request):
    authority: str = Field(max_length=10)
    category: str = Field(max_length=60)
    contract_type: ContractType
    value: Money = Field(description="Estimated total value excluding VAT, in pounds, like '250000.00'", max_length=20)
    vat_treatment: Vat = "standard"
    commencement: date | None = None
    route: str | None = Field(default=None, max_length=40)
    stage: Stage = "procurement"


class PlannedStepOut(BaseModel):
    gate: str
    position: int
    role: str
    role_name: str
    authority: str
    pillar: str | None
    mode: str
    required: int
    reason: str


class RoutePreviewOut(BaseModel):
    regime: str
    statutory_summary: str
    above_threshold: bool
    notifiable: bool
    value_inc_vat: Money
    threshold: Money
    recommended_route: str
    allowed_routes: list[str]
    key_decision: bool
    key_decision_reason: str
    steps: list[PlannedStepOut]
    perhaps_one_requirement: OneRequirementOut | None = Field(
        description="For a procurement: the council's others that, with this one, cross a statutory line it is "
        "under on its own (PA23 s4, Sch 3), if any"
    )


class RelatedCaseOut(BaseModel):
    id: int
    reference: str | None
    title: str
    estimated_value: Money = Field(description="Excluding VAT")
    submitted_at: datetime | None


class OneRequirementOut(BaseModel):
    others: list[RelatedCaseOut] = Field(
        description="The council's procurements for the same category and type of contract, submitted within a "
        "year, that you may see (at most 20), the latest first"
    )
    more: int = Field(description="The others not listed: more than 20, or not yours to see")
    together_inc_vat: Money = Field(description="This one and all the others, with VAT")
    line: Money = Field(description="The statutory line they cross together: the threshold, or 30,000.00")
    line_name: str


class OneRequirementCheck(BaseModel):
    perhaps_one_requirement: OneRequirementOut | None = Field(
        description="Null where none: no others, or together under any line the case is under alone (or the "
        "case is not a running procurement)"
    )


# --- cases ----------------------------------------------------------------------------------------------
class RequestAnswers(Request):
    """A request's answers, all of them: as opened (``CaseIn``), or as changed by its requester while it is a
    draft or back for rework (``RequestChange``)."""

    title: str = Field(max_length=200)
    description: str = Text
    authority: str = Field(max_length=10)
    category: str = Field(max_length=60)
    contract_type: ContractType
    estimated_value: Money = Field(max_length=20)
    vat_treatment: Vat = "standard"
    proposed_start: date | None = None
    duration_months: int | None = Field(default=None, ge=1, le=600)
    route: str | None = Field(
        default=None, max_length=40, description="A procurement's route; none: the one the council's rules set"
    )
    funding: str = Text
    justification: str = Text
    direct_award_ground: DirectAwardGround | None = Field(
        default=None,
        description="For a direct award: its ground in the Procurement Act 2023 (s41 and Schedule 5, or s43)",
    )
    direct_award_justification: str = Field(
        default="", max_length=5000, description="For a direct award: why its ground applies to this purchase"
    )
    one_requirement_explained: str = Field(
        default="",
        max_length=2000,
        description="Why it is not one requirement with the council's others of its kind, where route-preview "
        "says it may be (PA23 s4, Sch 3): its approvers read it beside the warning",
    )


class RequestChange(RequestAnswers):
    """A request's answers changed by its requester, and what it was asked on its way to where it rests."""

    answers: dict[str, Any] | None = Field(
        default=None,
        description="What it was asked on its way to where it rests, all of them, as the action that asked them "
        "takes them (a commissioning case's business case at `business_case`, from `prepare_business_case`: "
        "`options_considered`, `preferred_option`, `outcomes`, `risks`); left out, they stay as they are",
    )


class CaseIn(RequestAnswers):
    stage: Stage = "procurement"
    submit: bool = Field(default=False, description="Submit for approval at once (procurement only)")


class CaseQuery(PageQuery):
    q: str = Field(default="", max_length=100, description="Words in the title or reference")
    open_only: bool = Field(default=False, description="Leave out cases at an end state")
    sort: Literal["updated", "newest", "value"] = "updated"
    state: str | None = Field(default=None, max_length=40)
    stage: Literal["commissioning", "procurement", "contract"] | None = None
    pillar: str | None = Field(default=None, max_length=40)
    authority: str | None = Field(
        default=None, max_length=10, description="A council's code, for its cases and the joint ones; JOINT for those"
    )
    requester_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    waiting_on_me: bool = False


class CaseSummary(BaseModel):
    id: int
    reference: str | None
    stage: str
    workflow: str
    workflow_version: int
    state: str
    state_label: str
    version: int
    title: str
    authority: str
    pillar: str
    category: str
    estimated_value: Money
    requester_id: int
    updated_at: datetime
    nobody_may_decide: str | None = Field(
        default=None,
        description="Why nobody may decide the step waiting at the case's gate today (nobody holds its role, or "
        "only those who requested the case or put forward what it decides, who may not), if so",
    )


class CaseList(Page):
    items: list[CaseSummary]


class DecisionOut(BaseModel):
    actor_id: int
    principal_id: int
    outcome: str
    reason: str
    at: datetime


class StepOut(BaseModel):
    gate: str
    round: int
    position: int
    role: str
    authority: str
    pillar: str | None
    mode: str
    required: int
    status: str
    reason: str
    opened_at: datetime | None
    closed_at: datetime | None
    decisions: list[DecisionOut]


class AvailableActionOut(BaseModel):
    trigger: str
    label: str
    inputs: list[InputOut]
    reason_required: bool
    decision: bool
    not_yet: list[str] = Field(
        description="What stops this action as things stand (empty if nothing does): taking it now is refused"
    )


class KeyDate(BaseModel):
    kind: str
    name: str = Field(description="What officers call it, with a notice's type: 'Contract change notice (UK10)'")
    due_on: date
    basis: str
    met_at: datetime | None


class DecisionMakerOut(BaseModel):
    name: str
    title: str
    council: str = Field(description="For a joint decision, whose decision maker; else empty")


class ForwardPlanNoticeOut(BaseModel):
    """A key decision's notice on the forward plan, as the 2012 Access to Information Regulations (reg 9(1))
    ask, drafted from the case for Democratic Services to publish."""

    councils: list[str] = Field(description="On whose behalf the key decision is made")
    matter: str
    why_key: str = Field(description="Why it is a key decision, as the council's rules found")
    decision_makers: list[DecisionMakerOut] = Field(description="Each holder of the deciding role; empty if none")
    deciding_role: str
    earliest: date = Field(description="The first day it could be taken, if the notice were published today")
    clear_days: int
    documents: list[str] = Field(description="The case's documents, by name")
    documents_from: list[str] = Field(description="Each council's address for the documents, where set")


class UrgencyNoticeOut(BaseModel):
    """The notices of a key decision to be taken under an urgency rule (2012 Access to Information Regulations
    regs 10(1), 10(3) and 11(2)), drafted from the case while the decision lies ahead."""

    urgency: str = Field(description="general_exception (reg 10) or special_urgency (reg 11)")
    councils: list[str] = Field(description="On whose behalf the key decision is made")
    matter: str
    decision_makers: list[DecisionMakerOut] = Field(description="Each holder of the deciding role; empty if none")
    decidable_from: date = Field(description="The first day it can be taken")
    given_on: date = Field(
        description="The day the general exception's notice was given to the scrutiny chair and published, or "
        "the day special urgency was agreed"
    )
    agreed_by: str = Field(description="Who agreed the urgency, under special urgency; else empty")
    reasons: str


class ProposalOut(BaseModel):
    """What a contract case's variation or renewal gate decides, or an approved variation that waits for its
    contract change notice (and any voluntary standstill) before it is made."""

    kind: str = Field(description="variation, or the renewal proposal: extend, recommission or exit")
    approved: bool = Field(description="A variation approved, waiting to be made after its change notice")
    description: str
    value_now: str | None
    value_proposed: str | None
    end_date_now: date | None
    end_date_proposed: date | None
    change_notice_needed: bool
    change_notice: str = Field(description="Why a contract change notice is or is not needed (PA23 s75)")
    voluntary_standstill: bool
    key_decision: str = Field(
        description="Why the variation or extension is a key decision, which the Executive takes after 28 clear days "
        "on the forward plan; empty when it is not one"
    )
    basis: str = Field(
        description="The basis in law a variation is made on (PA23 s74 and Schedule 8, or PCR 2015 regulation 72); "
        "empty where none is asked (a light-touch or below-threshold contract)"
    )
    new_supplier: str = Field(
        description="The supplier taking the contract over by the variation (a novation); empty for none"
    )


class AwardOut(BaseModel):
    """The award a procurement's award approval decides, or has approved while the contract is on its way to
    signature."""

    approved: bool
    supplier: str
    registration: str
    ppon: str = Field(
        description="The supplier's PPON (its unique identifier on the Central Digital Platform); empty where not given"
    )
    sme: bool
    vcse: bool
    supported_employment: bool | None = Field(
        description="Whether the supplier is a supported employment provider (PA23 s32); null where not asked (the "
        "PCR 2015)"
    )
    public_service_mutual: bool | None = Field(
        description="Whether the supplier is a public service mutual (PA23 s33); null where not asked (the PCR 2015)"
    )
    value: str = Field(description="Contract value excluding VAT, in pounds")
    estimated_value: str = Field(description="The request's estimate, excluding VAT, for comparison")
    exclusions_checked_on: date | None = Field(description="When the suppliers were checked (PA23 s26-28, s57)")
    key_decision: str = Field(description="Why the award is a key decision for the Executive; empty when not one")
    over_threshold: str = Field(
        description="A warning when the award is over the statutory threshold its estimate was under; else empty"
    )
    evaluation: str = Field(description="How the evaluation recorded here ranked the tenders; empty where none was")


class DecisionRecordOut(BaseModel):
    """The written record of a decision taken on the case, made when it was taken: an officer's that awards a
    contract or commits spending over its council's figure (Openness of Local Government Bodies Regulations 2014
    reg 7), or the Executive's (2012 Access to Information Regulations regs 12-13)."""

    id: int
    decided_at: datetime
    by_executive: bool = Field(description="An Executive (key) decision; false for an officer's")
    urgency: str | None = Field(
        description="The rule a key decision was taken under without 28 clear days on the forward plan: "
        "general_exception (reg 10) or special_urgency (reg 11); null where it had them, or for an officer's"
    )
    subject: str
    decision: str
    value: str = Field(description="What it awards or commits, excluding VAT, in pounds")
    decided_by: str = Field(description="Who took it, one approval to a line: name, role and for whom they acted")
    reasons: str
    alternatives: str = Field(description="The alternatives considered and rejected")
    conflicts: str = Field(description="The conflicts of interest declared on the case, with their mitigation")


class CouncilDecisionRecordOut(DecisionRecordOut):
    case_id: int
    case_reference: str
    documents: list[str] = Field(
        description="The documents on its case when it was taken, by name: the background papers to choose from"
    )


class DecisionRecordsQuery(Request):
    since: date | None = Field(default=None, description="The first day; the financial year's first by default")
    until: date | None = Field(default=None, description="The last day; today by default")
    special_urgency: bool = Field(
        default=False,
        description="Only the key decisions taken under special urgency, for the report to the council (reg 19)",
    )

    _not_before_the_first = _on_or_after("since", "until")


class DecisionRecordsOut(BaseModel):
    authority: str
    since: date
    until: date
    items: list[CouncilDecisionRecordOut]


class LinkedCases(BaseModel):
    parent_id: int | None
    children: list[int]
    contract_id: int | None


class AuditEventOut(BaseModel):
    seq: int
    at: datetime
    actor_id: int | None
    on_behalf_of_id: int | None
    action: str
    from_state: str | None
    to_state: str | None
    comment: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


class CaseOut(CaseSummary):
    description: str
    contract_type: str
    vat_treatment: str
    route: str | None
    regime: str | None
    key_decision: bool
    proposed_start: date | None
    duration_months: int | None
    details: dict[str, Any]
    created_at: datetime
    submitted_at: datetime | None
    closed_at: datetime | None
    steps: list[StepOut]
    available_actions: list[AvailableActionOut]
    key_dates: list[KeyDate]
    linked: LinkedCases
    proposal: ProposalOut | None = Field(description="A contract case's variation or renewal under way, if any")
    award: AwardOut | None = Field(description="A procurement's award recommended or approved, until signature")
    last_event: int = Field(
        description="The position of the case's latest audit event (its `seq`): send it as a decision's "
        "`seen_through` to decide what was shown"
    )
    decision_records: list[DecisionRecordOut] = Field(
        description="The written record of each decision taken on it that the law has the council record and publish"
    )
    returned: DecisionOut | None = Field(
        description="While the case waits with its requester after its approvers returned it for rework: that "
        "decision (by whom, when, and why in `reason`)"
    )
    question: AuditEventOut | None = Field(
        description="While an approver's question waits for the requester's answer (action `provide_info`): the "
        "event that asked it (by whom, when, and the question in `comment`)"
    )


class Declaration(Request):
    has_conflict: bool
    details: str = Text
    mitigation: str = Text


class ActionIn(Request):
    trigger: str = Field(max_length=60)
    comment: str = Text
    reason: str = Text
    inputs: dict[str, str | int | bool | None] = Field(default_factory=dict, max_length=50)
    on_behalf_of_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    declaration: Declaration | None = None


class ActionOut(BaseModel):
    case_id: int
    trigger: str
    from_state: str
    to_state: str
    version: int
    message: str
    opened_cases: list[int]


class DecisionIn(Request):
    outcome: Literal["approve", "reject", "return", "request_info"]
    reason: str = Text
    on_behalf_of_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    declaration: Declaration | None = None
    seen_through: int | None = Field(
        default=None,
        ge=0,
        le=MAX_ID,
        description="The case's `last_event` as shown to the person deciding: the decision is refused (409) if "
        "anything happened since but approvals of the step still waiting and declarations of interest (a "
        "committee's members deciding at once), where If-Match refuses it after any change",
    )


class PendingApproval(BaseModel):
    case: CaseSummary
    gate: str
    step_position: int
    role: str
    step_reason: str
    on_behalf_of_id: int | None
    waited_days: int = Field(
        description="Days it has waited on its approvers: since it opened, or since its requester answered a "
        "question asked at it, or for a key decision since the first day it could be taken, whichever is latest"
    )
    decidable_from: date | None = Field(
        description="A key decision whose forward plan entry's clear days are still running: the first day it can "
        "be taken (it has not waited yet)"
    )


class PendingApprovals(BaseModel):
    items: list[PendingApproval]


class AuditTrail(BaseModel):
    case_id: int
    chain_verified: bool
    items: list[AuditEventOut]


# --- contracts and tasks ---------------------------------------------------------------------------------
class ContractQuery(PageQuery):
    q: str = Field(default="", max_length=100)
    pillar: str = Field(default="", max_length=40)
    category: str = Field(default="", max_length=40, description="A category's code, as in organisation.yaml")
    risk: Literal["", "low", "medium", "high"] = Field(
        default="", description="Only the contracts rated so; empty for any"
    )
    authority: str = Field(
        default="", max_length=10, description="A council's code, for its contracts and the joint ones; JOINT for those"
    )
    status: str = Field(
        default="",
        max_length=40,
        description="A contract-management state, like live or expired; current for every contract not ended;"
        " empty for any",
    )
    expiring_within: int | None = Field(default=None, ge=1, le=3650)
    ends_from: date | None = Field(default=None, description="Only the contracts ending on or after this day")
    ends_by: date | None = Field(default=None, description="Only the contracts ending on or before this day")
    managed_by_me: bool = Field(default=False, description="Only the contracts you manage")
    sort: Literal["end_date", "value", "supplier", "title"] = "end_date"

    _not_before_the_first = _on_or_after("ends_from", "ends_by")


class ReviewsOut(BaseModel):
    every_months: int = Field(description="Months between its periodic reviews, by its risk and value")
    next_due_on: date | None = Field(
        description="Its open review task's due date, else the next anniversary at its cadence; null when none is "
        "to come (ended, its renewal before its approvers or decided, or its end first)"
    )
    follow_up: bool = Field(description="The next one is a follow-up review a review that found improvement needed set")


class ContractOut(BaseModel):
    id: int
    reference: str
    case_id: int
    procurement_case_id: int | None = Field(
        description="The procurement that let it, where it was procured here; null for a contract loaded from the "
        "council's register (whose value and dates its category team may correct)"
    )
    status: str
    title: str
    authority: str
    pillar: str
    category: str
    contract_type: str
    regime: str
    route: str | None
    supplier_name: str
    supplier_key: str = Field(description="The key its supplier is known by, however spelt: /suppliers/{key}")
    supplier_registration: str = Field(description="Companies House or charity number; empty if not recorded")
    supplier_ppon: str = Field(
        description="Public Procurement Organisation Number, its unique identifier on the Central Digital Platform; "
        "empty if not recorded"
    )
    supplier_is_sme: bool
    supplier_is_vcse: bool
    supplier_is_supported_employment: bool | None = Field(
        description="Whether the supplier is a supported employment provider (Procurement Act 2023 s32), as the "
        "award recommendation said under the Act; null if not recorded"
    )
    supplier_is_public_service_mutual: bool | None = Field(
        description="Whether the supplier is a public service mutual (Procurement Act 2023 s33), as the award "
        "recommendation said under the Act; null if not recorded"
    )
    value: Money
    irrecoverable_vat: Money
    start_date: date
    end_date: date
    extension_months_available: int
    maximum_term_months: int | None = Field(
        description="The longest it could run as awarded, its extension options included, in months: a change of "
        "term is weighed against it (PA23 s75(2)(b))"
    )
    notice_period_days: int
    risk: str = Field(description="low, medium or high: with its value, how often it is reviewed")
    contract_manager_id: int | None
    reviews: ReviewsOut | None = Field(
        None, description="How often it is reviewed and when next (one contract's answer only, not the register's)"
    )


class KpiOut(BaseModel):
    id: int
    position: int
    name: str
    target: str


class RatedKpi(BaseModel):
    name: str
    target: str
    rating: str = Field(description="good, approaching_target, requires_improvement, inadequate or other")
    comment: str


class AssessmentOut(BaseModel):
    id: int
    period_starts: date
    period_ends: date
    ratings: list[RatedKpi] = Field(description="The KPIs as they were assessed, in the contract's order")
    published_on: date = Field(description="The contract performance notice (UK9)")
    notice_id: str


class PerformanceOut(BaseModel):
    """A contract's key performance indicators (PA23 s52) and the assessments against them (s71), newest first."""

    contract_id: int
    kpis_required: bool = Field(description="Whether the Act asks this contract for at least three KPIs")
    basis: str
    kpis: list[KpiOut]
    assessments: list[AssessmentOut]


class KpiIn(Request):
    name: str = Field(max_length=200)
    target: str = Field("", max_length=500)


class KpisIn(Request):
    kpis: list[KpiIn] = Field(max_length=10, description="In order; they replace the contract's KPIs")


class ProcurementKpisIn(KpisIn):
    exemption: str = Field(
        "",
        max_length=500,
        description="With no KPIs: why the supplier's performance could not appropriately be assessed by them",
    )


class RatingIn(Request):
    kpi_id: int
    rating: str = Field(max_length=40)
    comment: str = Field("", max_length=2000)


class AssessmentIn(Request):
    period_starts: date
    period_ends: date
    ratings: list[RatingIn] = Field(max_length=10, description="One for each of the contract's KPIs")
    published_on: date = Field(description="The day the contract performance notice was published")
    notice_id: str = Field("", max_length=40)


class OcdsReleasePackage(BaseModel):
    """An Open Contracting Data Standard 1.1 release package: a release for each notice the procurement,
    contract or dynamic market published (https://standard.open-contracting.org/1.1/en/schema/release_package/)."""

    uri: str
    version: str
    publishedDate: str
    publisher: dict[str, str]
    releases: list[dict[str, Any]]


class PaymentOut(BaseModel):
    id: int
    authority: str
    transaction_number: str
    paid_on: date
    invoice_received_on: date | None = Field(description="The day the council received the invoice, if loaded")
    supplier_name: str = Field(description="'Redacted: personal data' for a payment to a person")
    amount: Money = Field(description="Excluding VAT; a credit note is negative")
    irrecoverable_vat: Money
    expense_type: str
    department: str
    purpose: str


class ContractPayments(Page):
    """What has been paid under a contract (from the spend loaded), newest first."""

    paid: Money
    items: list[PaymentOut]


class ReportingPeriodOut(BaseModel):
    code: str = Field(description="Its first month, as the address names it: 2026-04")
    label: str
    starts: date
    ends: date
    due_on: date = Field(description="The last day to publish its notice: 30 days beginning with its last day")


class FinanceOfficerOut(BaseModel):
    name: str
    job_title: str


class ComplianceApprovalOut(FinanceOfficerOut):
    on: datetime


Percent = str | None  # to one decimal place, like "81.8"; null where there is nothing to count


class PaymentsComplianceOut(BaseModel):
    """A council's payments compliance notice (PA23 s69, Procurement Regulations 2024 reg 38): as its S151
    officer approved it, or until then as the spend loaded gives it. Percentages count payments."""

    authority: str
    period: ReportingPeriodOut
    owed: bool = Field(description="Whether anything was paid, or fell due, under a public contract in the period")
    average_days: str | None = Field(description="The mean days from invoice day to payment, to one decimal place")
    paid_within_days_1_to_30_percent: Percent
    paid_within_days_31_to_60_percent: Percent
    paid_on_day_61_or_later_percent: Percent
    payable_not_paid_percent: Percent = Field(
        description="Of the invoices received in the period, those not paid in it (still unpaid included)"
    )
    payments_counted: int = Field(description="Payments made in the period under public contracts")
    payable: int
    payable_not_paid: int
    without_invoice_day: int = Field(description="Payments in the period not counted: no invoice day loaded")
    still_unpaid: int
    unpaid_listed_on: date | None = Field(
        description="The day of the council's list of unpaid invoices still_unpaid was counted from; null if given"
    )
    approval: ComplianceApprovalOut | None
    finance_officers: list[FinanceOfficerOut] = Field(description="The council's S151 officers, who approve it")


STILL_UNPAID = "Invoices received in it, still unpaid; if not given, counted from the council's list of them"


class PaymentsComplianceQuery(Request):
    still_unpaid: int | None = Field(default=None, ge=0, le=1_000_000, description=STILL_UNPAID)


class PaymentsComplianceApprovalIn(Request):
    still_unpaid: int | None = Field(default=None, ge=0, le=1_000_000, description=STILL_UNPAID)
    note: str = Field(default="", max_length=2000)


class SupplierFoundOut(BaseModel):
    key: str
    name: str = Field(description="The register's spelling where it has the supplier, else the one paid most")
    contracts: int = Field(description="Its contracts in the register that you may see")
    paid_this_year: Money = Field(description="Paid this financial year by the councils you work for")
    found_as: str = Field(
        description="The other name of its (recorded by the intelligence team) that the words found, where they "
        "did not find its own; else empty"
    )


class SupplierQuery(Request):
    q: str = Field(min_length=1, max_length=100, description="Words of the supplier's name, however spelt")


class SupplierNameOut(BaseModel):
    key: str
    name: str


class SupplierList(BaseModel):
    items: list[SupplierFoundOut] = Field(description="At most 50, the most paid this financial year first")


class SharedNumberOut(BaseModel):
    registration: str = Field(description="A Companies House or charity number, or a PPON")
    names: list[SupplierNameOut] = Field(description="The suppliers recorded with it, the one recorded most first")


class SharedNumberList(BaseModel):
    items: list[SharedNumberOut] = Field(description="At most 50, the numbers with most names first")


class AlikeNameOut(BaseModel):
    key: str
    name: str = Field(description="As spelt most")
    contracts: int = Field(description="Its contracts in the register that you may see")
    paid_this_year: Money = Field(description="Paid this financial year by the councils you work for")


class NamesAlikeOut(BaseModel):
    names: list[AlikeNameOut] = Field(description="The one with most contracts (then most paid) first")
    cut_short: bool = Field(description="One name is another cut short mid-word; else they are spelt alike")


class NamesAlikeList(BaseModel):
    items: list[NamesAlikeOut] = Field(description="At most 50, those paid most this financial year first")


class DifferentSuppliersIn(Request):
    keys: list[Annotated[str, Field(max_length=200)]] = Field(
        min_length=2, max_length=50, description="The suppliers' keys, as GET /suppliers gives them"
    )
    reason: str = Field(max_length=2000, description="How you know they are different companies")


class DifferentSuppliersOut(BaseModel):
    keys: list[str] = Field(description="The suppliers recorded as different (each its own key)")


class YearPaidOut(BaseModel):
    label: str = Field(description="The financial year, April to March: 2026/27")
    starts: date
    under_contract: Money
    off_contract: Money = Field(description="Payments that named no contract")
    by_council: dict[str, Money]
    invoices_timed: int = Field(description="Payments whose invoice day is known (credit notes aside)")
    paid_within_term_percent: str | None = Field(
        description="Of those, the percentage paid within 30 days of the invoice (PA23 s68(2)); null if none"
    )


class TenderMadeOut(BaseModel):
    case_id: int
    reference: str
    title: str
    received_on: date
    price: Money
    outcome: str = Field(description="Awarded, recommended, not assessed (and why), or its rank")


class OtherNameOut(SupplierNameOut):
    reason: str = Field(description="How the intelligence team knew it is this supplier's")
    recorded_by: str
    recorded_at: datetime


class SupplierOut(BaseModel):
    """A supplier across the register and the spend, as far as you may see them, under all its names."""

    key: str
    name: str
    spellings: list[str]
    other_names: list[OtherNameOut] = Field(
        description="Names the intelligence team recorded as this supplier's: their contracts, payments and tenders "
        "are counted here"
    )
    registrations: list[str] = Field(
        description="Its Companies House or charity numbers, as the register, its tenders, requests to participate "
        "and applications to dynamic markets give them"
    )
    ppons: list[str] = Field(
        description="Its Public Procurement Organisation Numbers (unique identifiers on the Central Digital Platform), "
        "as the register, its tenders, requests to participate and applications to dynamic markets give them"
    )
    contracts: list[ContractOut]
    years: list[YearPaidOut] = Field(description="This financial year and the two before, the latest first")
    latest_payments: list[PaymentOut]
    tenders: list[TenderMadeOut] = Field(
        description="Its tenders for procurements of the councils you work for, the latest first"
    )


class ContractList(Page):
    items: list[ContractOut]


class SameSupplierIn(Request):
    same_as: str = Field(max_length=200, description="The key of the supplier it is, as GET /suppliers gives it")
    reason: str = Field(max_length=2000, description="How you know they are one company")


class SeparateSupplierIn(Request):
    reason: str = Field(max_length=2000, description="Why they are not one company after all")


class TaskOut(BaseModel):
    id: int
    kind: str
    title: str
    detail: str
    contract_id: int | None
    case_id: int | None
    framework_id: int | None = Field(description="The framework an open framework's re-opening is about")
    assignee_id: int
    due_on: date
    status: str
    snoozed_until: date | None
    snooze_reason: str
    outcome: str
    outcome_label: str = Field(
        description="What its outcome says, whether chosen or recorded by what was done elsewhere (an extension "
        "proposed on its contract's case, the contract ended); empty while it is open"
    )
    follow_up_task_id: int | None = Field(
        None,
        description="A contract review completed as improvement_needed: the follow-up review task it raised (none "
        "where the contract's next periodic review, or its end, came first)",
    )
    came_of_it: str = Field(
        "",
        description="What completing it brought about besides, in words: a contract review's escalation (to whom) "
        "or follow-up (when, or why there is none), and a contract performance notice that may be owed",
    )
    outcomes: list[Named]
    overdue_from: date = Field(
        description="The day it counts as overdue and is escalated, unless done or snoozed first: the day after its "
        "due date, or a week after the day it was raised for one raised on or after its due date"
    )
    raised_at: datetime = Field(description="When it was raised (or opened again)")
    escalated_at: datetime | None = Field(description="When it was escalated as overdue, if it has been")
    escalated_to: list[int] = Field(
        description="Who that told (people's ids): the holders of the role it goes to, or the council's "
        "administrators where nobody held it; empty if not kept (escalated before it was)"
    )


class TaskList(BaseModel):
    items: list[TaskOut]


class TaskQuery(Request):
    whose: Literal["mine", "team", "council"] = Field(
        "mine",
        description="Yours, or ('team') your category team's open tasks that are someone else's, to cover for "
        "them: the statutory first, at most 300; 422 for someone in no category team; or ('council') the open "
        "statutory notices of the councils where you hold a notice's role, the role overdue ones escalate to, or "
        "administrator (422 for anyone else), soonest due first",
    )
    assignee_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="With whose=team: only this colleague's, covering for them while away"
    )
    sort: Literal["due", "contract_end"] = Field(
        "due",
        description="Your own tasks (whose=mine) by due date, or ('contract_end') by when the contract each is "
        "about ends (a renewal task raised late is due from when its lead time came); the statutory first either way",
    )


class ContractManagerIn(Request):
    manager_id: int
    reason: str = Field(default="", max_length=2000)


class ContractRiskIn(Request):
    risk: str = Field(description="low, medium or high: with its value, how often the contract is reviewed")
    reason: str = Field(max_length=2000, description="Why it is rated so now (required)")


class ContractCorrectionIn(Request):
    """The details of a contract's record to correct: only those given change (its value, dates and supplier
    change by a variation on its case, not here)."""

    title: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=5000)
    supplier_registration: str | None = Field(None, max_length=40, description="Companies House or charity number")
    supplier_ppon: str | None = Field(None, max_length=40, description="Like PABC-1234-DEFG; empty if not known")
    supplier_is_sme: bool | None = None
    supplier_is_vcse: bool | None = None
    supplier_is_supported_employment: bool | None = Field(None, description="null: not recorded")
    supplier_is_public_service_mutual: bool | None = Field(None, description="null: not recorded")
    notice_period_days: int | None = Field(None, ge=0, le=3650)
    extension_months_available: int | None = Field(None, ge=0, le=600)
    irrecoverable_vat: Money | None = Field(None, max_length=20, description="In pounds, like '1250.50'")
    value: Money | None = Field(
        None,
        max_length=20,
        description="Excluding VAT: only for a contract loaded from a register, by its category team",
    )
    start_date: date | None = Field(
        None, description="Only for a contract loaded from a register, by its category team"
    )
    end_date: date | None = Field(None, description="Only for a contract loaded from a register, by its category team")
    maximum_term_months: int | None = Field(
        None, ge=1, le=600, description="Only for a contract loaded from a register, by its category team"
    )
    reason: str = Field(max_length=2000, description="What was wrong, and where the right details come from (required)")


class TeamMemberIn(Request):
    user_id: int = Field(ge=1, le=MAX_ID)
    part: Literal["procurement", "evaluation"]


class TeamMemberOut(BaseModel):
    user_id: int
    name: str
    part: Literal["procurement", "evaluation"]
    active: bool
    declaration: Literal["none", "no_conflict", "mitigated", "blocked"]


class TeamOut(BaseModel):
    """A procurement's team and evaluation panel: each member must declare before the conflicts assessment,
    the notice and the award recommendation (Procurement Act 2023 s81-83)."""

    case_id: int
    members: list[TeamMemberOut]


# --- evaluation -----------------------------------------------------------------------------------------
CriterionKind = Literal["quality", "social_value", "price"]


class CriterionIn(Request):
    name: str = Field(max_length=200)
    kind: CriterionKind
    weighting: int = Field(ge=1, le=100, description="Per cent; a procurement's criteria add up to 100")
    minimum_score: int | None = Field(
        None, ge=0, le=TOP_SCORE, description="A quality threshold: a tender scoring below it is out of the running"
    )


class AwardCriteriaIn(Request):
    criteria: list[CriterionIn] = Field(max_length=10, description="In order; they replace any set before")


class InvitationsIn(Request):
    invited_suppliers: list[str] = Field(
        min_length=1, max_length=200, description="The suppliers invited to tender, as the invitations named them"
    )
    reason: str = Field(max_length=2000, description="Why the list recorded is corrected")


# A tender's, or a request to participate's, answer to its competition's reservation.
RESERVATION_ANSWER = (
    "Where the competition is reserved (the case's `reserved`): whether the supplier is within the reservation: "
    "based or established, with substantive business operations, in its place (the Local Government (Exclusion "
    "of Non-commercial Considerations) (England) Order 2026, `reserved_to_suppliers_in`); or, by `reserved_for`, "
    "a supported employment provider (Procurement Act 2023 s32) or a public service mutual (s33). Required then "
    "(but for one reserved to SMEs and VCSEs alone, `reserved_to_suppliers_in` `anywhere`, which the supplier's "
    "SME and VCSE answers decide), and null otherwise"
)


PPON_GIVEN = "The supplier's PPON (its unique identifier on the Central Digital Platform) as given; empty if none"


class SupplierIn(Request):
    """A supplier as a tender, a request to participate or an application to a dynamic market gives it."""

    supplier_name: str = Field(max_length=200)
    supplier_registration: str = Field("", max_length=40, description="Companies House or charity number")
    supplier_is_sme: bool
    supplier_is_vcse: bool
    supplier_ppon: str = Field(
        "",
        max_length=40,
        description="The supplier's PPON, its unique identifier on the Central Digital Platform, where it gives "
        "it (any case, with or without GB-PPON-). A tender that gives none takes the one the supplier gave with its "
        "request to participate, or its application to the dynamic market the procurement is restricted to",
    )


class TenderIn(SupplierIn):
    price: Money = Field(max_length=20, description="Tendered, excluding VAT, in pounds")
    received_on: date
    not_assessed_because: str = Field(
        "", max_length=4000, description="Why it was not assessed (late, excluded...); empty for a tender assessed"
    )
    supplier_within_reservation: bool | None = Field(None, description=RESERVATION_ANSWER)


class ParticipationRequestIn(SupplierIn):
    received_on: date
    set_aside_because: str = Field(
        "",
        max_length=4000,
        description="Why the supplier is not to be invited to tender (a condition of participation not met, an "
        "excluded supplier, not among the number chosen); empty for a supplier to invite",
    )
    exclusions_checked_on: date | None = Field(
        None, description="When checked against the exclusion grounds and the debarment list: before it is invited"
    )
    supplier_within_reservation: bool | None = Field(None, description=RESERVATION_ANSWER)


class ScoreIn(Request):
    criterion_id: int = Field(ge=1, le=MAX_ID)
    score: int = Field(ge=0, le=TOP_SCORE)
    reasons: str = Field(max_length=4000, description="What the supplier's assessment summary tells it")


class ScoresIn(Request):
    scores: list[ScoreIn] = Field(max_length=10, description="One for each quality and social value criterion")


class CriterionOut(BaseModel):
    id: int
    position: int
    name: str
    kind: CriterionKind
    weighting: int
    minimum_score: int | None


class ScoreOut(BaseModel):
    criterion_id: int
    score: int
    reasons: str


class TenderOut(BaseModel):
    id: int
    supplier_name: str
    supplier_registration: str
    supplier_is_sme: bool
    supplier_is_vcse: bool
    price: Money
    received_on: date
    not_assessed_because: str
    supplier_within_reservation: bool | None
    supplier_ppon: str = Field(description=PPON_GIVEN)
    scores: list[ScoreOut]
    points: dict[str, str] = Field(description="By criterion id: the points earned so far, price by formula")
    total: str | None = Field(description="Out of 100, once every criterion is scored")
    rank: int | None = Field(description="1 for the most advantageous tender; equal totals share a rank")
    short_of: list[str] = Field(description="The criteria whose minimum score it missed: it is out of the running")


class ParticipationRequestOut(BaseModel):
    id: int
    supplier_name: str
    supplier_registration: str
    supplier_is_sme: bool
    supplier_is_vcse: bool
    received_on: date
    set_aside_because: str
    exclusions_checked_on: date | None
    supplier_within_reservation: bool | None
    supplier_ppon: str = Field(description=PPON_GIVEN)


class EvaluationOut(BaseModel):
    """A procurement's award criteria and the tenders received, scored against them (PA23 s19, s23). The
    tenders' prices and scores are for the people who evaluate and the council's approvers; anyone else who
    can see the case gets how many came in."""

    case_id: int
    criteria: list[CriterionOut]
    requests_to_participate_received: int = Field(description="A competitive flexible procedure's (PA23 s20)")
    requests_to_participate: list[ParticipationRequestOut] | None = Field(
        description="In the order they arrived, to those who see the tenders"
    )
    tenders_received: int
    tenders: list[TenderOut] | None
    complete: bool = Field(description="Every tender assessed is scored against every criterion")
    most_advantageous: list[int] = Field(description="The id of the tender ranked first (of each, if tied)")


class DeclarationOut(BaseModel):
    case_id: int
    has_conflict: bool
    blocks: bool  # a conflict with no mitigation: you cannot decide, evaluate or work on the case


class CompleteTaskIn(Request):
    outcome: str = Field(max_length=40)
    note: str = Text


class NoticeIn(Request):
    kind: str = Field(
        max_length=40,
        description="The deadline the notice meets: contract_change_notice (UK10), termination_notice (UK11), "
        "breach_performance_notice (UK9), procurement_termination_notice (UK12), or a copy published with a "
        "notice: contract_copy (PA23 s53(3)) or modification_copy (s77)",
    )
    published_on: date = Field(description="The day Find a Tender published it")
    notice_id: str = Field("", max_length=40, description="Find a Tender's identifier for the notice, if known")


class ClosingDateIn(Request):
    closes_on: date = Field(description="The new closing date: later than the one it replaces")
    revised_notice_published_on: date = Field(description="When the revised tender notice saying it was published")
    reason: str = Field(max_length=4000, description="Why the closing date is extended")
    notice_id: str = Field("", max_length=40, description="Find a Tender's identifier for the revised notice, if known")


class NoteIn(Request):
    note: str = Field(description="The note, up to 2,000 characters, for the case's history")


class KeyDecisionReportIn(Request):
    """What the council's overview and scrutiny committee resolved about an officer's decision it holds should
    have been a key decision (2012 regs reg 18)."""

    committee: str = Field(max_length=200, description="The overview and scrutiny committee")
    resolved_on: date = Field(description="The day it resolved to require the report")
    report_by: date = Field(description="The day the report must go to the council by (the period it specified)")
    why: str = Field(max_length=2000, description="Why the committee holds it should have been a key decision")


class SnoozeTaskIn(Request):
    until: date
    reason: str = Field(max_length=2000)


class PassTaskIn(Request):
    assignee_id: int = Field(description="A colleague who could act on the task in their own right")
    reason: str = Field(default="", max_length=2000)


# --- me ------------------------------------------------------------------------------------------------
class RoleHeld(BaseModel):
    role: str
    authority: str
    pillar: str | None


class MeOut(BaseModel):
    id: int
    username: str
    full_name: str
    roles: list[RoleHeld]
    may_raise_requests_for: list[str]
    sees_cases_of: list[str]


# --- dynamic markets ------------------------------------------------------------------------------------------
class MarketNoticeOut(BaseModel):
    kind: str = Field(description="UK13 intention, UK14 establishment, UK15 modification or UK16 cessation")
    published_on: date
    summary: str = Field(description="What a modification changed, or why the market ends")
    parts_added: list[str] = Field(description="The parts a modification added, after the market's others")
    notice_id: str = Field(description="Find a Tender's identifier for the notice, if given")


class MembershipOut(BaseModel):
    id: int
    supplier_name: str
    supplier_key: str
    supplier_registration: str
    supplier_ppon: str = Field(description=PPON_GIVEN)
    supplier_is_sme: bool
    supplier_is_vcse: bool
    applied_on: date
    parts: list[str] = Field(description="The market's parts applied for, or once admitted those admitted to")
    extends: int | None = Field(
        description="For a member's application for more parts, the membership's id: once admitted (status "
        "'extended'), its parts are the membership's too"
    )
    status: str = Field(description="waiting, member, refused or removed; extended (see extends)")
    decided_on: date | None
    exclusions_checked_on: date | None = Field(description="When an admitted supplier was checked (PA23 s36)")
    refused_because: str
    removed_on: date | None
    removed_because: str


class MarketSummaryOut(BaseModel):
    id: int
    reference: str
    title: str
    authority: str
    pillar: str
    category: str
    status: str = Field(description="UK13 (intention published), UK14 (established) or UK16 (ceased)")
    members: int
    applications_waiting: int


class MarketList(BaseModel):
    items: list[MarketSummaryOut] = Field(description="The markets of the councils you work for, the newest first")


class MarketOut(MarketSummaryOut):
    """A dynamic market (PA23 s34-39): its notices, and every application to join it with what became of it."""

    description: str
    conditions: str = Field(description="The conditions for membership (s36); empty where it sets none")
    parts: list[str] = Field(description="Its parts (lots), in order; none for a market in one piece")
    notices: list[MarketNoticeOut]
    applications: list[MembershipOut] = Field(description="The oldest first; a supplier refused may apply again")
    procurements: list[str] = Field(
        description="References of the procurements restricted to its members, or one part's (s34)"
    )


class MarketApplicationIn(SupplierIn):
    applied_on: date
    parts: list[str] = Field(
        [], max_length=30, description="The market's parts it applies for (a market in parts); a member, for more"
    )


class MarketIn(Request):
    title: str = Field(max_length=200)
    description: str = Field("", max_length=4000, description="What contracts it will be used to award")
    conditions: str = Field("", max_length=4000, description="Its conditions for membership (s36), if any")
    authority: str = Field(max_length=10, description="A council's code, or JOINT")
    category: str = Field(max_length=60, description="A category code (GET /reference)")
    intention_published_on: date = Field(description="The date its intention notice (UK13) was published")
    parts: list[str] = Field([], max_length=30, description="Its parts (lots), in order, if it is split into any")
    intention_notice_id: str = Field("", max_length=40, description="Find a Tender's identifier for it, if known")


class MarketNoticeIn(Request):
    kind: Literal["UK14", "UK15", "UK16"] = Field(description="Establishment, a modification or cessation")
    published_on: date
    summary: str = Field("", max_length=4000, description="What a modification changes, or why the market ends")
    parts_added: list[str] = Field(
        [], max_length=30, description="New parts a modification adds to a market in parts, after its others"
    )
    notice_id: str = Field("", max_length=40, description="Find a Tender's identifier for the notice, if known")


class AdmissionIn(Request):
    decided_on: date
    exclusions_checked_on: date = Field(description="When it was checked against the exclusion grounds (s36)")
    parts: list[str] | None = Field(None, max_length=30, description="Parts admitted to; by default those applied for")


class DatedReasonIn(Request):
    on: date = Field(description="When the application was refused, or the member removed")
    because: str = Field(max_length=4000)


# --- frameworks -----------------------------------------------------------------------------------------------
class FrameworkIn(Request):
    provider: str = Field(max_length=200, description="Who established it, like 'Crown Commercial Service'")
    reference: str = Field(max_length=60)
    lot: str = Field("", max_length=200)
    title: str = Field(max_length=200)
    regime: Literal["PCR2015", "PA2023"] = Field(description="The law it was procured under: its call-offs follow it")
    starts_on: date
    ends_on: date = Field(description="The last day a call-off may be made under it")
    authority: str = Field(max_length=10, description="The council that may call off from it, or JOINT")
    notes: str = Field("", max_length=4000, description="How to call off from it")
    open_framework: bool = Field(
        False, description="An open framework (PA23 s49), whose term may run to eight years; another runs four (s47)"
    )
    fee_percent: str | None = Field(
        None,
        pattern=r"^\d{1,2}(\.\d{1,2})?$",
        description="Its fee on each call-off, as a percentage of the call-off's value, like '1' or '0.5'; none: none",
    )
    direct_award: bool = Field(
        False,
        description="It provides for a call-off without a further competition: it sets out the core terms and an "
        "objective way to choose the supplier (PA23 s45(4)(b)); one with a single supplier always does",
    )
    suppliers: list[str] = Field(
        [],
        max_length=1000,
        description="The suppliers party to it, as its provider lists them: listed, a call-off takes tenders from "
        "them alone and is awarded to one of them; none where they are not recorded",
    )
    dps: bool = Field(
        False,
        description="A dynamic purchasing system established under the PCR 2015 (reg 34), running to 23 February "
        "2029 at the latest: its contracts go to a competition among its admitted suppliers, none directly",
    )
    council_established: bool = Field(
        False,
        description="The councils established it themselves: an open one is then theirs to re-open in time (PA23 "
        "s49(2)(a)), and the scheduler reminds them",
    )


class ReopeningIn(Request):
    awarded_on: date = Field(description="The day the next framework of the open framework's scheme was awarded")
    suppliers: list[str] = Field(
        max_length=1000,
        description="The suppliers party to it, those already on it who stay among them: they replace the list",
    )


class FrameworkOut(FrameworkIn):
    id: int
    running: bool = Field(description="Running today: a call-off may be made under it")
    runs_past_the_usual_term: bool = Field(
        description="Under the PCR 2015, a term past four years: allowed only in exceptional cases (reg 33(3))"
    )
    call_offs: list[str] = Field(
        description="References of the procurements called off under it that you may see, newest first"
    )
    call_offs_not_seen: int = Field(
        description="Call-offs under it whose procurements are another council's, which you do not see (the "
        "counts and values below include them)"
    )
    call_offs_awarded: int = Field(description="Of those, how many have their award approved (or are signed)")
    value_awarded: str = Field(description="What those awarded are worth, excluding VAT")
    fees_on_awarded: str | None = Field(description="What its fee comes to on them; none where it charges none")
    reopened_on: list[date] = Field(
        description="An open framework's re-openings: when each later framework of its scheme was awarded"
    )
    reopening_due_by: date | None = Field(
        description="An open framework's next re-opening is due by this day (PA23 s49(2)(a)); none for another "
        "framework, or where its scheme ends first"
    )


class FrameworkList(BaseModel):
    items: list[FrameworkOut] = Field(description="Those running longest first, then the ended")
