"""Local governance per authority, and resolving who approves what.

Resolution: authority x pillar x value band x gate (x contract type where rules differ). When several
rules match, the most restrictive wins. The result is a :class:`RoutePlan`, frozen onto the case at
submission; each step carries the sentence that explains why it applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..config_files import Node, Problems
from ..wording import pounds
from . import statutory
from .organisation import JOINT, Organisation, load_organisation
from .statutory import ContractType, Route, StatutoryPosition, VatTreatment

STEP_MODES = ("any", "all", "n_of_m")


@dataclass(frozen=True)
class Band:
    code: str
    lower: Decimal  # included
    upper: Decimal | None  # excluded; None for the open-ended top band
    route: Route

    def contains(self, value: Decimal) -> bool:
        return self.lower <= value and (self.upper is None or value < self.upper)

    @property
    def label(self) -> str:
        if self.upper is None:
            return f"{pounds(self.lower, pence=False)} and over"
        return f"{pounds(self.lower, pence=False)} to {pounds(self.upper, pence=False)}"


@dataclass(frozen=True)
class StepRule:
    role: str
    mode: str = "any"
    required: int = 1
    label: str = ""


@dataclass(frozen=True)
class ApprovalRule:
    where: str  # file and item, for messages and for the audit of why a step applies
    gate: str
    bands: frozenset[str] | None  # None: every band
    pillars: frozenset[str] | None
    contract_types: frozenset[str] | None
    steps: tuple[StepRule, ...]

    def matches(self, gate: str, band: str, pillar: str, contract_type: str) -> bool:
        return (
            self.gate == gate
            and (self.bands is None or band in self.bands)
            and (self.pillars is None or pillar in self.pillars)
            and (self.contract_types is None or contract_type in self.contract_types)
        )


@dataclass(frozen=True)
class KeyDecisionRule:
    contract_value_over: Decimal
    forward_plan_days: int
    # A variation or an extension that adds more than this to a contract's value is a key decision of its own,
    # whatever the contract's value was when it was awarded (by default the same figure as for a contract).
    variation_increase_over: Decimal
    # Where the documents before the decision maker may be had from, as the forward plan's notice of a key
    # decision states it (2012 Access to Information Regulations reg 9(1)(f)): the council's Democratic Services.
    documents_from: str = ""
    # The report to the council of the key decisions taken under special urgency (reg 19): for periods of this
    # many months from 1 April (the council's interval, a year at most), each within this many days of its end.
    special_urgency_reports_every_months: int = 12
    special_urgency_reports_within_days: int = 60


@dataclass(frozen=True)
class AuthorityRules:
    authority: str
    file: str
    bands: tuple[Band, ...]
    approvals: tuple[ApprovalRule, ...]
    key_decision: KeyDecisionRule
    # An officer's decision to award a contract or commit spending worth more than this (excluding VAT) is one
    # that materially affects the council's finances, and so is recorded in writing and published (Openness of
    # Local Government Bodies Regulations 2014, reg 7): what is material is the council's to say. Unsaid, every
    # such decision is recorded.
    officer_decisions_recorded_over: Decimal = Decimal(0)

    def band_for(self, value: Decimal) -> Band:
        for band in self.bands:
            if band.contains(value):
                return band
        raise ValueError(f"no band holds {value}")  # validated on load: bands cover 0 upwards


@dataclass(frozen=True)
class Proposal:
    """The facts governance needs about a case, whether real or hypothetical (route preview)."""

    authority: str
    category: str
    contract_type: str
    value: Decimal  # estimated total value excluding VAT
    vat_treatment: str = VatTreatment.STANDARD
    commencement: date | None = None
    route: str | None = None


@dataclass
class PlannedStep:
    gate: str
    position: int
    role: str
    role_name: str
    authority: str
    pillar: str | None
    mode: str
    required: int
    label: str
    reason: str


@dataclass
class RoutePlan:
    """Everything governance decided about a case: legal position, route, key decision and approvers."""

    regime: str
    statutory_summary: str
    above_threshold: bool
    notifiable: bool
    value_inc_vat: str
    threshold: str
    bands: dict[str, str]  # authority -> band code
    recommended_route: str
    allowed_routes: list[str]
    key_decision: bool
    key_decision_reason: str
    gates: dict[str, list[PlannedStep]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        # By hand rather than dataclasses.asdict, whose recursive deep copy was a fifth of the CPU time of
        # submitting a request. The fields are all plain JSON values already.
        data = {name: getattr(self, name) for name in _PLAN_FIELDS}
        data["bands"], data["allowed_routes"] = dict(self.bands), list(self.allowed_routes)
        data["gates"] = {gate: [vars(step).copy() for step in steps] for gate, steps in self.gates.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RoutePlan:
        gates = {g: [PlannedStep(**s) for s in steps] for g, steps in data.get("gates", {}).items()}
        return cls(**{**data, "gates": gates})


_PLAN_FIELDS = tuple(f.name for f in fields(RoutePlan) if f.name != "gates")


class GovernanceError(ValueError):
    """A proposal governance cannot place (unknown authority or category, route not allowed)."""


@dataclass(frozen=True)
class Governance:
    organisation: Organisation
    rules: dict[str, AuthorityRules]

    # --- resolution ---------------------------------------------------------------------------
    def statutory_position(self, proposal: Proposal) -> StatutoryPosition:
        return statutory.statutory_position(
            proposal.value, proposal.vat_treatment, proposal.contract_type, proposal.commencement or date.today()
        )

    def allowed_routes(self, proposal: Proposal, position: StatutoryPosition) -> tuple[Route, list[Route]]:
        """The recommended route and every route open to the case. Statutory limits override local bands.

        Above the threshold only the PA23 s20 procedures will do. Below it, the local band's route or any
        more formal one (a joint case takes the more formal of its two authorities' routes), but for the
        competitive flexible procedure where its requests to participate would choose suppliers by their
        suitability before they tender, which s85 forbids. Direct award and framework call-off are always
        open, on a justification or a framework reference.
        """
        if position.above_threshold:
            competitive = list(statutory.ABOVE_THRESHOLD_COMPETITIVE)
        else:
            formality = list(Route)  # declared from least to most formal
            local = [
                self.rules[a].band_for(proposal.value).route
                for a in self.organisation.authorities_of(proposal.authority)
            ]
            floor = formality.index(max(local, key=formality.index))
            competitive = [
                route
                for route in formality[floor:]
                if route not in statutory.EXCEPTIONAL_ROUTES
                and (route is not Route.COMPETITIVE_FLEXIBLE or position.may_assess_suitability_first)
            ]
        return competitive[0], competitive + list(statutory.EXCEPTIONAL_ROUTES)

    def key_decisions(self, proposal: Proposal) -> dict[str, str]:
        """For each authority for which this contract is a key decision, the reason why."""
        found = {}
        for code in self.organisation.authorities_of(proposal.authority):
            rule = self.rules[code].key_decision
            if proposal.value > rule.contract_value_over:
                found[code] = (
                    f"key decision for {code}: a contract worth {pounds(proposal.value)} is over "
                    f"{pounds(rule.contract_value_over)}, so it needs {rule.forward_plan_days} clear days on the "
                    "forward plan"
                )
        return found

    def spending_key_decisions(self, authority: str, increase: Decimal, what: str) -> dict[str, str]:
        """For each authority for which ``what`` (a contract's variation, or its extension), adding ``increase``
        to what the council will spend under the contract, is a key decision, the reason why."""
        found = {}
        for code in self.organisation.authorities_of(authority):
            rule = self.rules[code].key_decision
            if increase > rule.variation_increase_over:
                found[code] = (
                    f"key decision for {code}: {what} adds {pounds(increase)} to the contract's value, over "
                    f"{pounds(rule.variation_increase_over)}, so it needs {rule.forward_plan_days} clear days on the "
                    "forward plan"
                )
        return found

    def forward_plan_days(self, authority: str) -> int:
        """The clear days a key decision of ``authority``'s (both councils', for a joint case) must be on the
        forward plan: the longer, where the councils' constitutions differ."""
        return max(
            self.rules[code].key_decision.forward_plan_days for code in self.organisation.authorities_of(authority)
        )

    def resolve(
        self, proposal: Proposal, gates: list[str], *, conditional: dict[str, frozenset[str]] | None = None
    ) -> RoutePlan:
        """Resolve the route and the approvers for ``gates``.

        ``conditional`` maps a gate to the conditions that make it apply. A gate on ``key_decision`` is resolved
        here when the case is one. A gate only on other conditions (a variation's, an extension's or an award's
        key decision) is left out: its steps are put in when what is proposed is one (``key_decision_steps``).
        """
        org = self.organisation
        if not org.is_authority_choice(proposal.authority):
            raise GovernanceError(f"unknown authority {proposal.authority!r}")
        category = org.categories.get(proposal.category)
        if category is None:
            raise GovernanceError(f"unknown category {proposal.category!r}")
        try:
            ContractType(proposal.contract_type)
            VatTreatment(proposal.vat_treatment)
        except ValueError as exc:
            raise GovernanceError(str(exc)) from exc
        if proposal.value < 0:
            raise GovernanceError("the estimated value cannot be negative")

        position = self.statutory_position(proposal)
        recommended, allowed = self.allowed_routes(proposal, position)
        if proposal.route is not None and proposal.route not in allowed:
            chosen = Route.label_of(proposal.route)
            why = position.summary
            if proposal.route == Route.COMPETITIVE_FLEXIBLE and not position.above_threshold:
                why += (
                    ", and below it suppliers may not be chosen by their suitability before they tender "
                    "(Procurement Act 2023 s85)"
                )
            raise GovernanceError(
                f"{chosen} is not open to this case: {why}. Choose one of: " + ", ".join(r.label for r in allowed)
            )
        key_decisions = self.key_decisions(proposal)
        plan = RoutePlan(
            regime=position.regime.value,
            statutory_summary=position.summary,
            above_threshold=position.above_threshold,
            notifiable=position.notifiable,
            value_inc_vat=f"{position.value_inc_vat:.2f}",
            threshold=f"{position.threshold:.2f}",
            bands={a: self.rules[a].band_for(proposal.value).code for a in org.authorities_of(proposal.authority)},
            recommended_route=recommended.value,
            allowed_routes=[r.value for r in allowed],
            key_decision=bool(key_decisions),
            key_decision_reason="; ".join(key_decisions.values()) or "not a key decision",
        )
        for gate in gates:
            conditions = (conditional or {}).get(gate)
            if conditions is None:
                plan.gates[gate] = self._steps_for(proposal, category.pillar, gate)
            elif "key_decision" in conditions and key_decisions:
                plan.gates[gate] = self._steps_for(proposal, category.pillar, gate, key_decisions)
        return plan

    def key_decision_steps(self, proposal: Proposal, gate: str, reasons: dict[str, str]) -> list[PlannedStep]:
        """The steps of a key decision's gate, for the authorities ``reasons`` names, each for its reason."""
        return self._steps_for(proposal, self.organisation.categories[proposal.category].pillar, gate, reasons)

    def _steps_for(
        self, proposal: Proposal, pillar: str, gate: str, reasons: dict[str, str] | None = None
    ) -> list[PlannedStep]:
        """The steps of one gate. With ``reasons``, only those authorities, each for its own reason."""
        org = self.organisation
        steps: list[PlannedStep] = []
        for code in org.authorities_of(proposal.authority):
            if reasons is not None and code not in reasons:
                continue
            why = reasons[code] if reasons else None
            rules = self.rules[code]
            band = rules.band_for(proposal.value)
            rule, matching = self.rule_for(code, gate, band.code, pillar, proposal.contract_type)
            for step in rule.steps:
                role = org.roles[step.role]
                basis = why or (
                    f"value {pounds(proposal.value)} is in band {band.label}, {org.pillars[pillar].name}, {code}"
                )
                if len(matching) > 1:
                    basis += f" (most restrictive of {len(matching)} matching rules: {rule.where})"
                steps.append(
                    PlannedStep(
                        gate=gate,
                        position=len(steps) + 1,
                        role=role.code,
                        role_name=role.name,
                        authority=code,
                        pillar=pillar if role.pillar_scoped else None,
                        mode=step.mode,
                        required=step.required,
                        label=step.label or role.name,
                        reason=f"{step.label or role.name}: {basis}",
                    )
                )
        return steps

    def rule_for(
        self, authority: str, gate: str, band: str, pillar: str, contract_type: str
    ) -> tuple[ApprovalRule, list[ApprovalRule]]:
        """The rule that decides who approves (the most restrictive match), and every rule that matched."""
        rules = self.rules[authority]
        matching = [r for r in rules.approvals if r.matches(gate, band, pillar, contract_type)]
        if not matching:
            raise GovernanceError(f"{rules.file}: no approval rule for gate {gate!r}, band {band}")
        return max(matching, key=lambda r: self._restrictiveness(r)), matching  # ties: the first in the file

    def approvers_table(self, authority: str, gate: str, contract_type: str) -> list[tuple[Band, dict[str, str]]]:
        """For the administration pages: per band, per pillar, who approves ``gate``, in words."""
        org = self.organisation
        table = []
        for band in self.rules[authority].bands:
            row = {}
            for pillar in org.pillars:
                rule, _ = self.rule_for(authority, gate, band.code, pillar, contract_type)
                row[pillar] = ", then ".join(_step_words(org.roles[s.role].name, s) for s in rule.steps)
            table.append((band, row))
        return table

    def roles_called_on(self, authority: str) -> list[tuple[str, str | None]]:
        """The roles ``authority``'s approval rules name, each as (role, pillar) for every pillar a rule
        applies to where the role is held for a pillar, else (role, None): whom a step may need."""
        return list(self.approvers_needed(authority))

    def approvers_needed(self, authority: str) -> dict[tuple[str, str | None], int]:
        """``roles_called_on``, each with the most of its holders one step needs at once: a committee's N (of
        M), else 1 (a step that needs every holder is decided by however many there are)."""
        org = self.organisation
        needed: dict[tuple[str, str | None], int] = {}
        for rule in self.rules[authority].approvals:
            for step in rule.steps:
                pillars = sorted(rule.pillars or org.pillars) if org.roles[step.role].pillar_scoped else [None]
                at_once = step.required if step.mode == "n_of_m" else 1
                for pillar in pillars:
                    needed[step.role, pillar] = max(needed.get((step.role, pillar), 0), at_once)
        return needed

    def _restrictiveness(self, rule: ApprovalRule) -> tuple[int, int, int]:
        ranks = [self.organisation.roles[s.role].rank for s in rule.steps]
        return (max(ranks, default=0), sum(s.required for s in rule.steps), len(rule.steps))


def _step_words(role_name: str, step: StepRule) -> str:
    """Who a step needs, in words. A label names the step whole ("Commissioning Board (2 directors)"); otherwise
    its role, and how many of its holders must approve (a role's name does not take a plural by adding "s":
    "Head of Category")."""
    if step.label:
        return step.label
    if step.mode == "all":
        return f"every {role_name}"
    if step.mode == "n_of_m":
        return f"{role_name} (any {step.required})"
    return role_name


# --- loading ------------------------------------------------------------------------------------
def load_governance(config_dir: Path, problems: Problems | None = None, *, gates: set[str] | None = None) -> Governance:
    """Load and validate ``config/``. With ``gates`` (from the workflows), also check each gate is covered."""
    own = problems is None
    problems = problems or Problems()
    org = load_organisation(config_dir, problems)
    rules: dict[str, AuthorityRules] = {}
    for authority in org.authorities.values():
        if authority.governance_file:
            loaded = _load_authority_rules(config_dir, authority.code, authority.governance_file, org, problems)
            if loaded:
                rules[authority.code] = loaded
    governance = Governance(org, rules)
    if gates is not None and not problems.items:
        check_gate_coverage(governance, gates, problems)
    if own:
        problems.raise_if_any()
    return governance


def _load_authority_rules(
    config_dir: Path, code: str, file: str, org: Organisation, problems: Problems
) -> AuthorityRules | None:
    root = Node.load(config_dir / file, problems, root=config_dir.parent)
    if root is None or not root.is_mapping():
        return None
    root.reject_unknown("authority", "key_decision", "decision_records", "bands", "approvals")
    if root.text("authority") != code:
        root.get("authority").error(f"expected '{code}', the authority that names this file")

    kd = root.get("key_decision")
    key_decision = KeyDecisionRule(Decimal(0), 28, Decimal(0))
    if kd.is_mapping():
        kd.reject_unknown(
            "contract_value_over",
            "forward_plan_days",
            "variation_increase_over",
            "documents_from",
            "special_urgency_reports",
        )
        contract_value_over = kd.money("contract_value_over")
        variation_increase_over = kd.money("variation_increase_over", None)
        every, within = _special_urgency_reports(kd.get("special_urgency_reports", None))
        key_decision = KeyDecisionRule(
            contract_value_over,
            kd.integer("forward_plan_days", 28, minimum=28),
            contract_value_over if variation_increase_over is None else variation_increase_over,
            kd.text("documents_from", ""),
            every,
            within,
        )
    recorded_over = Decimal(0)
    if (records := root.get("decision_records", None)).value is not None and records.is_mapping():
        records.reject_unknown("officer_decisions_over")
        recorded_over = records.money("officer_decisions_over")

    bands: list[Band] = []
    for node in root.get("bands").items():
        if not node.is_mapping():
            continue
        node.reject_unknown("code", "from", "to", "route")
        route_name = node.text("route")
        if route_name not in {r.value for r in Route}:
            node.get("route").error(
                f"unknown route {route_name!r} (expected one of: {', '.join(r.value for r in Route)})"
            )
            continue
        band = Band(node.text("code"), node.money("from"), node.money("to", None), Route(route_name))
        if band.upper is not None and band.upper <= band.lower:
            node.error(f"'to' ({band.upper:,.2f}) must be more than 'from' ({band.lower:,.2f})")
        bands.append(band)
    _check_bands(root.get("bands"), bands)
    band_codes = {b.code for b in bands}

    approvals: list[ApprovalRule] = []
    for node in root.get("approvals").items():
        if not node.is_mapping():
            continue
        node.reject_unknown("gate", "bands", "pillars", "contract_types", "steps")
        where = f"{node.file} {node.path}"
        selectors = {}
        for key, known, noun in (
            ("bands", band_codes, "band"),
            ("pillars", set(org.pillars), "pillar"),
            ("contract_types", {t.value for t in ContractType}, "contract type"),
        ):
            chosen = node.text_list(key, None) if key in node.value else None
            for item in chosen or []:
                if item not in known:
                    node.get(key).error(f"unknown {noun} {item!r} (expected one of: {', '.join(sorted(known))})")
            selectors[key] = frozenset(chosen) if chosen is not None else None
        steps = []
        for step_node in node.get("steps").items():
            if not step_node.is_mapping():
                continue
            step_node.reject_unknown("role", "mode", "required", "label")
            role = step_node.text("role")
            if role not in org.roles:
                step_node.get("role").error(f"unknown role {role!r}")
            mode = step_node.text("mode", "any")
            if mode not in STEP_MODES:
                step_node.get("mode").error(f"expected one of {', '.join(STEP_MODES)}, found {mode!r}")
            required = step_node.integer("required", 1, minimum=1)
            if mode != "n_of_m" and required != 1:
                step_node.get("required").error("'required' applies only to mode n_of_m")
            steps.append(StepRule(role, mode, required, step_node.text("label", "")))
        if not steps:
            node.get("steps").error("a rule needs at least one approval step")
        approvals.append(ApprovalRule(where, node.text("gate"), steps=tuple(steps), **selectors))
    return AuthorityRules(code, root.file, tuple(bands), tuple(approvals), key_decision, recorded_over)


def _special_urgency_reports(node: Node) -> tuple[int, int]:
    """How often the key decisions taken under special urgency are reported to the council, and how soon after
    each period: ``{every_months: 12, within_days: 60}`` (those, where not given)."""
    every, within = (
        KeyDecisionRule.special_urgency_reports_every_months,
        KeyDecisionRule.special_urgency_reports_within_days,
    )
    if node.value is None or not node.is_mapping():
        return every, within
    node.reject_unknown("every_months", "within_days")
    every = node.integer("every_months", every, minimum=1)
    if every not in statutory.REPORTING_INTERVALS:
        node.get("every_months").error(
            f"expected one of {', '.join(map(str, statutory.REPORTING_INTERVALS))}: months that divide the financial "
            "year, at most 12 (reg 19: at least one report a year)"
        )
    return every, node.integer("within_days", within, minimum=1)


def _check_bands(node: Node, bands: list[Band]) -> None:
    """No overlaps, no gaps, starting at 0, exactly one open-ended top band (and it is the last)."""
    if not bands:
        node.error("at least one value band is required")
        return
    ordered = sorted(bands, key=lambda b: b.lower)
    codes = [b.code for b in bands]
    for code in {c for c in codes if codes.count(c) > 1}:
        node.error(f"band code '{code}' is used twice")
    if ordered[0].lower != 0:
        node.error(f"the lowest band must start at 0, but starts at {ordered[0].lower:,.2f}")
    open_ended = [b.code for b in bands if b.upper is None]
    if len(open_ended) != 1:
        node.error(
            f"exactly one band must be open-ended ('to: null'), found {len(open_ended)}"
            + (f": {', '.join(open_ended)}" if open_ended else "")
        )
    for below, above in zip(ordered, ordered[1:], strict=False):
        if below.upper is None:
            node.error(f"band {below.code} is open-ended but band {above.code} starts above it")
        elif above.lower > below.upper:
            node.error(
                f"gap between band {below.code} (to {below.upper:,.2f}) and {above.code} (from {above.lower:,.2f})"
            )
        elif above.lower < below.upper:
            node.error(f"bands {below.code} and {above.code} overlap ({above.lower:,.2f} to {below.upper:,.2f})")


def check_gate_coverage(governance: Governance, gates: set[str], problems: Problems) -> None:
    """Every gate in a workflow has an approval rule for every authority, band, pillar and contract type."""
    org = governance.organisation
    for rules in governance.rules.values():
        known_gates = {r.gate for r in rules.approvals}
        for rule in rules.approvals:
            if rule.gate not in gates:
                problems.add(
                    rule.where, f"gate '{rule.gate}' is not a gate in any workflow ({', '.join(sorted(gates))})"
                )
        for gate in sorted(gates):
            if gate not in known_gates:
                problems.add(rules.file, f"no approval rule for gate '{gate}'")
                continue
            for band in rules.bands:
                for pillar in org.pillars:
                    uncovered = [
                        t.value
                        for t in ContractType
                        if not any(r.matches(gate, band.code, pillar, t) for r in rules.approvals)
                    ]
                    if uncovered:
                        problems.add(
                            rules.file,
                            f"gate '{gate}' has no approval rule for band {band.code}, pillar {pillar}, "
                            f"contract type {', '.join(uncovered)}",
                        )


__all__ = ["JOINT", "Governance", "GovernanceError", "PlannedStep", "Proposal", "RoutePlan", "load_governance"]
