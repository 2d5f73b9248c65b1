"""Workflows as data: ``workflows/<name>.v<version>.yaml`` loaded, validated, and run by ``transitions``.

Each version gets ONE ``transitions.Machine`` (``model=None``, no ``add_model``), built once and shared by
every case and thread: a case is attached only for the length of one action and the ``state`` column
stays the source of truth (see docs/architecture.md for why: per-object machines cost ~14 KB and O(n)
``add_model`` each).
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from transitions import Machine

from ..config_files import ConfigError, Node, Problems
from ..models import Outcome
from . import rules

# "line" is one line of text (a name, a number); "text" a paragraph; "choice" one of the answers a named list in
# ``rules.CHOICES`` offers the case.
INPUT_TYPES = ("text", "line", "date", "money", "integer", "boolean", "choice")
MAX_TEXT = 5000  # the longest paragraph anyone is asked for, here or in a request's fields
MAX_LENGTHS = {"text": MAX_TEXT, "line": 200}  # the longest answer of each kind, unless the input says less
PSEUDO_ACTORS = {
    "requester": "the person who raised the case",
    "case_team": "the category team of the case's pillar and authority",
    "system": "the scheduler",
}
# The provision cycle's stages, in the order a need goes through them (a workflow's ``stage``).
STAGES = ("commissioning", "procurement", "contract")
AWARD_STAGES = ("deciding", "approved", "signed")  # a state's ``award``
PROPOSALS = ("variation", "renewal")  # a state's ``proposal``
RENEWAL_STANDS = ("pending", "deciding", "decided")  # a state's ``renewal``
CONDITIONAL_GATES = ("key_decision", "variation_key_decision", "award_key_decision", "extension_key_decision")
# Generated for every gate state (see _gate_transitions); a workflow file may not declare them itself.
GATE_TRIGGERS = (*(outcome.value for outcome in Outcome), "provide_info")
FILE_PATTERN = re.compile(r"^(?P<name>[a-z_]+)\.v(?P<version>\d+)\.ya?ml$")


@dataclass(frozen=True)
class Wording:
    when: tuple[str, ...]
    label: str
    hint: str = ""


@dataclass(frozen=True)
class InputSpec:
    name: str
    type: str
    label: str
    optional: bool = False
    max_length: int | None = None  # text and line: the longest answer (a column's width, where it goes to one)
    # Conditions on the case for the input to be asked at all (the Act's tender period only where the Act sets
    # one): an input whose conditions fail is neither offered nor accepted. Empty: always asked.
    when: tuple[str, ...] = ()
    # A follow-up question: asked only under the answer yes to the yes-or-no input of this name (and refused
    # with any other answer); a form reveals it under that "Yes".
    under: str | None = None
    choices: str | None = None  # a choice: the list in ``rules.CHOICES`` its answers come from
    options: tuple[tuple[str, str], ...] = ()  # a choice's answers for one case, as (code, label) pairs
    # An optional input that some cases must answer: required where these conditions hold, which may read the
    # other answers (a contract's modification basis once the new value takes it over the threshold).
    required_when: tuple[str, ...] = ()
    hint: str = ""  # said under the question: when it is needed, what to give
    hint_when: tuple[str, ...] = ()  # conditions on the case for the hint to be said (one law's words, say)
    # The question in other words on some cases (one input asking of two laws' reservations, say): the first
    # wording whose conditions hold gives the label and hint.
    wordings: tuple[Wording, ...] = ()
    # A line's likely answers on a case, offered as it is typed and not enforced: the list in
    # ``rules.SUGGESTIONS`` they come from, and those on one case.
    suggestions: str | None = None
    suggested: tuple[str, ...] = ()
    # What the case's rules find wrong with an answer: the function in ``rules.CHECKS`` that says it, beside the
    # question (where a guard would speak of the action as a whole).
    check: str | None = None

    @property
    def unanswered(self) -> str:
        """What to say when a required input is not given (a yes-or-no question is asked as one)."""
        if self.type == "boolean":
            return f"Answer yes or no: {self.label}"
        if self.type == "choice":
            return f"Choose one: {self.label}"
        return f"Enter {self.label[0].lower()}{self.label[1:]}"


@dataclass(frozen=True)
class TransitionDef:
    trigger: str
    sources: tuple[str, ...]
    dest: str | None  # None: an internal transition (the state does not change)
    label: str
    by: tuple[str, ...] = ()
    guards: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    when: tuple[str, ...] = ()
    inputs: tuple[InputSpec, ...] = ()
    reason_required: bool = False
    decision: Outcome | None = None  # set on the transitions generated for a gate's decisions
    where: str = ""


@dataclass(frozen=True)
class GateDef:
    name: str
    applies_when: str | None
    approve_guards: tuple[str, ...]
    approve_effects: tuple[str, ...]

    @property
    def waits_for_forward_plan(self) -> bool:
        """A key decision's gate: approving it waits until the forward plan's clear days have run."""
        return "forward_plan_period_passed" in self.approve_guards

    @property
    def records_its_decisions(self) -> bool:
        """A gate whose passing may have the decision's written record made (``workflow.records``): the
        approvers are told that their names and comments go into it."""
        return "record_the_decision" in self.approve_effects

    def decidable_from(self, opened: date, forward_plan_ends: date | None) -> date:
        """The first day a step of this gate, open since ``opened``, can be decided: for a key decision with
        its forward plan entry recorded (the open ``forward_plan`` deadline ends ``forward_plan_ends``), not
        before its clear days have run. Chasing its approvers, and the life of their action links, count
        from then."""
        if self.waits_for_forward_plan and forward_plan_ends is not None:
            return max(opened, forward_plan_ends)
        return opened


@dataclass(frozen=True)
class StateDef:
    name: str
    label: str
    final: bool = False
    editable: bool = False
    gate: GateDef | None = None
    # A procurement's evaluation, by state: where its award criteria may be set (before suppliers are invited,
    # PA23 s23, or refined in a competitive flexible procedure's participation period, s24), and where the
    # tenders received are recorded and scored; and where a competitive flexible procedure's requests to
    # participate are recorded and assessed, before tenders are invited (s20).
    sets_award_criteria: bool = False
    takes_tenders: bool = False
    takes_requests_to_participate: bool = False
    # Where a procurement's award stands: before its approvers ("deciding"), approved and on its way to
    # signature ("approved"), or signed ("signed"); None before the recommendation.
    award: str | None = None
    # The contract's proposal a state decides or waits to make: "variation" or "renewal".
    proposal: str | None = None
    # A contract's renewal decision in this state: still to be taken ("pending": the contract gets its
    # renewal tasks, its decision opened or not), before its approvers ("deciding"), or taken to let it end
    # or re-commission ("decided": it runs to its end date, notice to end it still to be given). The contract
    # runs, and is reviewed, in each; None once it has ended.
    renewal: str | None = None


@dataclass
class WorkflowDefinition:
    name: str
    version: int
    stage: str
    title: str
    initial: str
    file: str
    states: dict[str, StateDef]
    transitions: list[TransitionDef]
    _by_source: dict[tuple[str, str], list[TransitionDef]] = field(default_factory=dict, repr=False)
    machine: Machine = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for t in self.transitions:
            for source in t.sources:
                self._by_source.setdefault((source, t.trigger), []).append(t)
        self.machine = self._build_machine()

    @property
    def key(self) -> str:
        return f"{self.name}.v{self.version}"

    def _build_machine(self) -> Machine:
        machine = Machine(
            model=None,
            states=list(self.states),
            initial=None,
            model_attribute="state",
            auto_transitions=False,
            send_event=True,
        )
        for t in self.transitions:
            conditions = [rules.predicate_condition(name) for name in t.when]
            machine.add_transition(t.trigger, list(t.sources), t.dest, conditions=conditions)
        return machine

    # --- queries ------------------------------------------------------------------------------
    def triggers_from(self, state: str) -> list[str]:
        seen: list[str] = []
        for source, trigger in self._by_source:
            if source == state and trigger not in seen:
                seen.append(trigger)
        return seen

    def candidates(self, state: str, trigger: str) -> list[TransitionDef]:
        return self._by_source.get((state, trigger), [])

    def gate_at(self, state: str) -> GateDef | None:
        spec = self.states.get(state)
        return spec.gate if spec else None

    @cached_property
    def gates(self) -> dict[str, GateDef]:
        return {s.gate.name: s.gate for s in self.states.values() if s.gate}

    @cached_property
    def gate_order(self) -> dict[str, int]:
        return {gate: index for index, gate in enumerate(self.gates)}

    @cached_property
    def conditional_gates(self) -> dict[str, frozenset[str]]:
        """Each gate that only some cases enter, and on which conditions (one for each state that enters it: the
        Executive's, on a procurement's own key decision and on its award's). A gate with a state that every
        case may enter is not conditional."""
        conditions: dict[str, set[str | None]] = {}
        for spec in self.states.values():
            if spec.gate:
                conditions.setdefault(spec.gate.name, set()).add(spec.gate.applies_when)
        return {gate: frozenset(found) for gate, found in conditions.items() if None not in found}  # type: ignore[misc]

    def label(self, state: str) -> str:
        spec = self.states.get(state)
        return spec.label if spec else state

    def answers_kept_at(self, state: str) -> tuple[InputSpec, ...]:
        """What a request resting at ``state`` was asked on its way there, which its requester may change while
        it rests (a commissioning case's business case, returned for rework): the questions of the moves into
        an editable state, those asked of every case alike. None for a state that is not editable."""
        return self.asked_on_the_way_to(state) if self.states[state].editable else ()

    def asked_on_the_way_to(self, state: str) -> tuple[InputSpec, ...]:
        """The questions of the moves into ``state``, those asked of every case alike: what a case there has
        answered (a commissioning case's business case, at Business case)."""
        return tuple(
            spec
            for move in self.transitions
            if move.dest == state and move.decision is None
            for spec in move.inputs
            if not (spec.when or spec.under or spec.choices or spec.required_when or spec.check or spec.wordings)
        )


@dataclass
class WorkflowRegistry:
    """Every loaded version of every workflow; a case runs on the version it started on."""

    definitions: dict[tuple[str, int], WorkflowDefinition]

    @cached_property
    def team_states(self) -> dict[tuple[str, int], tuple[str, ...]]:
        """For each workflow version, the states at which the case team moves a case on (completes the
        conflicts assessment, closes the tenders, publishes a notice, records the signature): not a gate, not
        the requester's draft, not an end, with a way forward for the case team that is not an escape (those
        need a reason). Worked out once: the registry does not change while the app runs."""
        return {
            key: tuple(
                sorted(
                    state.name
                    for state in definition.states.values()
                    if not (state.final or state.gate or state.editable)
                    and any(
                        "case_team" in t.by and not t.reason_required
                        for trigger in definition.triggers_from(state.name)
                        for t in definition.candidates(state.name, trigger)
                    )
                )
            )
            for key, definition in self.definitions.items()
        }

    @cached_property
    def decision_triggers(self) -> frozenset[str]:
        """The triggers that are a decision at a gate in some workflow version: the door reads the gate's steps
        with the case for those, before it knows the case's state (``Engine.act``)."""
        return frozenset(t.trigger for d in self.definitions.values() for t in d.transitions if t.decision)

    def sources_of(self, trigger: str) -> dict[tuple[str, int], tuple[str, ...]]:
        """For each workflow version, the states its ``trigger`` starts from (the sweeps ask where ``expire``
        applies, so that the workflow file is the one place that says)."""
        return {
            key: tuple(sorted({s for t in definition.transitions if t.trigger == trigger for s in t.sources}))
            for key, definition in self.definitions.items()
        }

    def get(self, name: str, version: int) -> WorkflowDefinition:
        return self.definitions[(name, version)]

    def states_where(self, stage: str, attribute: str, *values: str) -> tuple[str, ...]:
        """The names of the states, in any version of the stage's workflows, whose ``attribute`` is one of
        ``values`` (for a sweep's SQL, which reads no workflow objects per row)."""
        return tuple(
            sorted(
                {
                    name
                    for definition in self.definitions.values()
                    if definition.stage == stage
                    for name, state in definition.states.items()
                    if getattr(state, attribute) in values
                }
            )
        )

    def state_of(self, case: Any) -> StateDef:
        """The case's state as its workflow (and version) defines it: what it says of the award or a proposal."""
        return self.get(case.workflow, case.workflow_version).states[case.state]

    def latest(self, name: str) -> WorkflowDefinition:
        versions = [v for (n, v) in self.definitions if n == name]
        if not versions:
            raise KeyError(f"no workflow named {name!r}")
        return self.definitions[(name, max(versions))]

    def for_stage(self, stage: str) -> WorkflowDefinition:
        names = {d.name for d in self.definitions.values() if d.stage == stage}
        if len(names) != 1:
            raise KeyError(f"expected one workflow for stage {stage!r}, found {sorted(names)}")
        return self.latest(names.pop())

    @property
    def all_gates(self) -> set[str]:
        return {g for d in self.definitions.values() for g in d.gates}

    def gates_in_cycle_order(self) -> list[str]:
        """Every gate, in the order a need meets them: each stage's (its latest workflow's, as its states come),
        then any that only an older version has."""
        ordered = list(dict.fromkeys(gate for stage in STAGES for gate in self.for_stage(stage).gates))
        return ordered + sorted(self.all_gates - set(ordered))

    def gates_only_on_a_condition(self) -> set[str]:
        """The gates no workflow enters but on a condition (``conditional_gates``): the Executive's, for a key
        decision."""
        return {
            gate
            for gate in self.all_gates
            if all(gate in d.conditional_gates for d in self.definitions.values() if gate in d.gates)
        }


# --- loading ------------------------------------------------------------------------------------
def load_workflows(directory: Path, roles: set[str], problems: Problems | None = None) -> WorkflowRegistry:
    """Load every ``*.v<N>.yaml`` in ``directory``; every problem names the file and the item."""
    own = problems is None
    problems = problems or Problems()
    definitions: dict[tuple[str, int], WorkflowDefinition] = {}
    files = sorted(directory.glob("*.y*ml"))
    if not files:
        problems.add(str(directory), "no workflow files found")
    for path in files:
        name = str(path.relative_to(directory.parent)) if path.is_relative_to(directory.parent) else str(path)
        match = FILE_PATTERN.match(path.name)
        if not match:
            problems.add(name, "file names must look like <workflow>.v<version>.yaml, for example procurement.v1.yaml")
            continue
        before = len(problems.items)
        root = Node.load(path, problems, root=directory.parent)
        if root is None or not root.is_mapping():
            continue
        definition = _parse(root, match["name"], int(match["version"]), roles)
        if definition is not None and len(problems.items) == before:
            definitions[(definition.name, definition.version)] = definition
    stages: dict[str, set[str]] = {}
    for d in definitions.values():
        stages.setdefault(d.stage, set()).add(d.name)
    for stage, names in stages.items():
        if len(names) > 1:
            problems.add(str(directory), f"stage {stage!r} has more than one workflow: {', '.join(sorted(names))}")
    if own:
        problems.raise_if_any()
    return WorkflowRegistry(definitions)


def _parse(root: Node, file_name: str, file_version: int, roles: set[str]) -> WorkflowDefinition | None:
    root.reject_unknown("workflow", "version", "stage", "title", "initial", "states", "transitions")
    name = root.text("workflow")
    version = root.integer("version", minimum=1)
    if name and name != file_name:
        root.get("workflow").error(f"'{name}' does not match the file name ('{file_name}')")
    if version and version != file_version:
        root.get("version").error(f"{version} does not match the file name (v{file_version})")
    stage = root.text("stage")
    if stage and stage not in STAGES:
        root.get("stage").error(f"expected commissioning, procurement or contract, found {stage!r}")

    states: dict[str, StateDef] = {}
    generated: list[TransitionDef] = []
    states_node = root.get("states")
    if states_node.is_mapping():
        for state_name, value in states_node.value.items():
            node = states_node.child(state_name, value)
            parsed = _parse_state(node, str(state_name))
            if parsed:
                states[parsed.name] = parsed
                if parsed.gate:
                    generated += _gate_transitions(node, parsed)

    transitions: list[TransitionDef] = []
    for node in root.get("transitions").items():
        if node.is_mapping():
            transitions.append(_parse_transition(node, roles))
    transitions += _answered_by_the_proposers(transitions, generated)

    initial = root.text("initial")
    _check_graph(root, states, transitions, initial)
    if stage == "contract":
        _check_renewal_stands(root, states)
    if not states or not initial or initial not in states:
        return None
    try:
        return WorkflowDefinition(
            name=name,
            version=version,
            stage=stage,
            title=root.text("title", name),
            initial=initial,
            file=root.file,
            states=states,
            transitions=transitions,
        )
    except (ValueError, KeyError) as exc:  # transitions' own consistency checks
        root.error(f"cannot build the state machine: {exc}")
        return None


def _parse_state(node: Node, name: str) -> StateDef | None:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        node.error("state names are lower_case_with_underscores")
        return None
    if node.value is None:
        node.value = {}
    if not node.is_mapping():
        return None
    node.reject_unknown(
        "label",
        "final",
        "editable",
        "sets_award_criteria",
        "takes_tenders",
        "takes_requests_to_participate",
        "award",
        "proposal",
        "renewal",
        "gate",
        "applies_when",
        "approved",
        "rejected",
        "returned",
        "approve_guards",
        "approve_effects",
    )
    gate = None
    if "gate" in node.value:
        applies_when = node.text("applies_when", None)
        if applies_when and applies_when not in CONDITIONAL_GATES:
            node.get("applies_when").error(f"expected one of {', '.join(CONDITIONAL_GATES)}, found {applies_when!r}")
        approve_guards = tuple(node.text_list("approve_guards", ()))
        approve_effects = tuple(node.text_list("approve_effects", ()))
        _check_names(node.get("approve_guards", ()), approve_guards, rules.GUARDS, "guard")
        _check_names(node.get("approve_effects", ()), approve_effects, rules.EFFECTS, "effect")
        gate = GateDef(node.text("gate"), applies_when, approve_guards, approve_effects)
        for key in ("approved", "rejected", "returned"):
            if key not in node.value:
                node.error(f"a gate state needs '{key}': where the case goes when the gate is {key}")
    else:
        for key in ("approved", "rejected", "returned", "applies_when", "approve_guards", "approve_effects"):
            if key in node.value:
                node.get(key).error("only a gate state (one with 'gate:') takes this")
    return StateDef(
        name=name,
        label=node.text("label", name.replace("_", " ").capitalize()),
        final=node.boolean("final", False),
        editable=node.boolean("editable", False),
        gate=gate,
        sets_award_criteria=node.boolean("sets_award_criteria", False),
        takes_tenders=node.boolean("takes_tenders", False),
        takes_requests_to_participate=node.boolean("takes_requests_to_participate", False),
        award=_one_of(node, "award", AWARD_STAGES),
        proposal=_one_of(node, "proposal", PROPOSALS),
        renewal=_one_of(node, "renewal", RENEWAL_STANDS),
    )


def _one_of(node: Node, key: str, allowed: tuple[str, ...]) -> str | None:
    value = node.text(key, None)
    if value is not None and value not in allowed:
        node.get(key).error(f"expected one of {', '.join(allowed)}, found {value!r}")
    return value


class _Destination(NamedTuple):
    dest: str
    when: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()  # what going this way does, besides the gate's own ``approve_effects``


def _destinations(node: Node) -> list[_Destination]:
    """``approved: state`` or ``approved: [{dest: a, when: [p], effects: [e]}, {dest: b}]``, the last without
    ``when``."""
    if isinstance(node.value, str):
        return [_Destination(node.value)]
    options = []
    for item in node.items():
        if isinstance(item.value, str):
            options.append(_Destination(item.value))
        elif item.is_mapping():
            item.reject_unknown("dest", "when", "effects")
            when = tuple(item.text_list("when", ()))
            _check_names(item.get("when", ()), when, rules.PREDICATES, "condition")
            effects = tuple(item.text_list("effects", ()))
            _check_names(item.get("effects", ()), effects, rules.EFFECTS, "effect")
            options.append(_Destination(item.text("dest"), when, effects))
    if options and options[-1].when:
        node.error("the last destination must have no 'when', so that a case always has somewhere to go")
    return options


def _answered_by_the_proposers(declared: list[TransitionDef], generated: list[TransitionDef]) -> list[TransitionDef]:
    """The gates' generated transitions, each gate's answer to an approver's question open to those who may put
    forward what it decides (who may take a declared move into it: the case team recommending an award, a
    contract manager proposing a renewal; for a gate reached by approving another, as the Executive's after a
    key decision's first gate, that one's) as well as to the requester."""
    proposers: dict[str, dict[str, None]] = {}  # by state, who may move a case into it, in order, each once
    for move in declared:
        if move.dest is not None:
            proposers.setdefault(move.dest, {}).update(
                dict.fromkeys(w for w in move.by if w not in ("requester", "system"))
            )
    approvals = [(move.sources[0], move.dest) for move in generated if move.trigger == "approve" and move.dest]
    for _ in approvals:  # as many passes as there are gates one after another, at most
        for gate, next_gate in approvals:
            proposers.setdefault(next_gate, {}).update(proposers.get(gate, {}))
    return [
        replace(move, by=("requester", *proposers.get(move.sources[0], {}))) if move.trigger == "provide_info" else move
        for move in generated
    ]


def _gate_transitions(node: Node, state: StateDef) -> list[TransitionDef]:
    """A gate state's decisions become transitions: approve, reject, return, request/provide information."""
    assert state.gate
    where = f"{node.file}: {node.path}"
    out: list[TransitionDef] = []
    for key, trigger, outcome, label in (
        ("approved", "approve", Outcome.APPROVE, "Approve"),
        ("rejected", "reject", Outcome.REJECT, "Reject"),
        ("returned", "return", Outcome.RETURN, "Return for rework"),
    ):
        for dest, when, effects in _destinations(node.get(key)):
            out.append(
                TransitionDef(
                    trigger=trigger,
                    sources=(state.name,),
                    dest=dest,
                    label=label,
                    when=when,
                    guards=state.gate.approve_guards if outcome is Outcome.APPROVE else (),
                    effects=(state.gate.approve_effects if outcome is Outcome.APPROVE else ()) + effects,
                    reason_required=outcome is not Outcome.APPROVE,
                    decision=outcome,
                    where=where,
                )
            )
    out.append(
        TransitionDef(
            trigger="request_info",
            sources=(state.name,),
            dest=None,
            label="Ask for more information",
            reason_required=True,
            decision=Outcome.REQUEST_INFO,
            where=where,
        )
    )
    out.append(
        TransitionDef(
            trigger="provide_info",
            sources=(state.name,),
            dest=None,
            label="Provide the information asked for",
            by=("requester",),
            reason_required=True,
            where=where,
        )
    )
    return out


def _parse_transition(node: Node, roles: set[str]) -> TransitionDef:
    node.reject_unknown(
        "trigger",
        "label",
        "source",
        "dest",
        "internal",
        "by",
        "guards",
        "effects",
        "when",
        "inputs",
        "reason_required",
    )
    trigger = node.text("trigger")
    if trigger and not re.fullmatch(r"[a-z][a-z0-9_]*", trigger):
        node.get("trigger").error("trigger names are lower_case_with_underscores")
    if trigger in GATE_TRIGGERS:
        node.get("trigger").error(f"'{trigger}' is a gate decision: declare it on the gate state instead")
    internal = node.boolean("internal", False)
    dest = None if internal else node.text("dest")
    if internal and "dest" in node.value:
        node.get("dest").error("an internal transition stays in its state: remove 'dest'")
    by = tuple(node.text_list("by"))
    for who in by:
        if who not in PSEUDO_ACTORS and who not in roles:
            node.get("by").error(
                f"unknown actor {who!r} (expected a role from config/organisation.yaml or one of: "
                f"{', '.join(PSEUDO_ACTORS)})"
            )
    if not by:
        node.get("by").error("say who may take this action")
    guards = tuple(node.text_list("guards", ()))
    effects = tuple(node.text_list("effects", ()))
    when = tuple(node.text_list("when", ()))
    _check_names(node.get("guards", ()), guards, rules.GUARDS, "guard")
    _check_names(node.get("effects", ()), effects, rules.EFFECTS, "effect")
    _check_names(node.get("when", ()), when, rules.PREDICATES, "condition")
    inputs = []
    inputs_node = node.get("inputs", {})
    if inputs_node.value and inputs_node.is_mapping():
        for input_name, spec in inputs_node.value.items():
            spec_node = inputs_node.child(input_name, spec)
            if not spec_node.is_mapping():
                continue
            spec_node.reject_unknown(
                "type", "label", "optional", "max_length", "when", "under", "choices", "required_when", "hint",
                "hint_when", "wordings", "suggestions", "check",
            )  # fmt: skip
            kind = spec_node.text("type")
            if kind not in INPUT_TYPES:
                spec_node.get("type").error(f"expected one of {', '.join(INPUT_TYPES)}, found {kind!r}")
            longest = MAX_LENGTHS.get(kind)
            if "max_length" in spec_node.value:
                longest = spec_node.integer("max_length", minimum=1)
                if kind not in MAX_LENGTHS or longest > MAX_LENGTHS[kind]:
                    spec_node.get("max_length").error(
                        f"max_length is for a text input (at most {MAX_LENGTHS['text']}) or a line (at most"
                        f" {MAX_LENGTHS['line']})"
                    )
            choices = spec_node.text("choices", None)
            if (kind == "choice") != (choices is not None):
                spec_node.error("a choice input names its list of answers ('choices'), and only a choice does")
            elif choices is not None and choices not in rules.CHOICES:
                spec_node.get("choices").error(
                    f"unknown list of answers {choices!r} (known: {', '.join(sorted(rules.CHOICES))})"
                )
            suggestions = spec_node.text("suggestions", None)
            if suggestions is not None and kind != "line":
                spec_node.get("suggestions").error("suggested answers are for a line input")
            elif suggestions is not None and suggestions not in rules.SUGGESTIONS:
                spec_node.get("suggestions").error(
                    f"unknown list of suggested answers {suggestions!r} (known: {', '.join(sorted(rules.SUGGESTIONS))})"
                )
            answer_check = spec_node.text("check", None)
            if answer_check is not None and answer_check not in rules.CHECKS:
                spec_node.get("check").error(
                    f"unknown check {answer_check!r} (known: {', '.join(sorted(rules.CHECKS))})"
                )
            asked_when = tuple(spec_node.text_list("when", ()))
            _check_names(spec_node.get("when", ()), asked_when, rules.PREDICATES, "condition")
            required_when = tuple(spec_node.text_list("required_when", ()))
            _check_names(spec_node.get("required_when", ()), required_when, rules.PREDICATES, "condition")
            hint_when = tuple(spec_node.text_list("hint_when", ()))
            _check_names(spec_node.get("hint_when", ()), hint_when, rules.PREDICATES, "condition")
            if hint_when and not spec_node.text("hint", ""):
                spec_node.get("hint_when").error("hint_when says when the hint is said: give the input a hint")
            if required_when and not spec_node.boolean("optional", False):
                spec_node.get("required_when").error(
                    "required_when makes an optional input required on some cases: mark the input optional"
                )
            under = spec_node.text("under", None)
            if under is not None:
                questions = {spec.name: spec for spec in inputs}
                if questions.get(under) is None or questions[under].type != "boolean":
                    spec_node.get("under").error(f"{under!r} is not a yes-or-no input asked before this one")
                elif not spec_node.boolean("optional", False):
                    spec_node.get("under").error("a follow-up question is optional: nobody answers it after a no")
                elif not set(asked_when) >= set(questions[under].when):
                    spec_node.get("under").error(
                        f"a follow-up question is asked only when {under!r} is: give it at least the same 'when'"
                    )
            inputs.append(
                InputSpec(
                    str(input_name),
                    kind,
                    spec_node.text("label"),
                    spec_node.boolean("optional", False),
                    longest,
                    asked_when,
                    under,
                    choices,
                    required_when=required_when,
                    hint=spec_node.text("hint", ""),
                    hint_when=hint_when,
                    wordings=_wordings(spec_node),
                    suggestions=suggestions,
                    check=answer_check,
                )
            )
    return TransitionDef(
        trigger=trigger,
        sources=tuple(node.text_list("source")),
        dest=dest,
        label=node.text("label", trigger.replace("_", " ").capitalize() if trigger else ""),
        by=by,
        guards=guards,
        effects=effects,
        when=when,
        inputs=tuple(inputs),
        reason_required=node.boolean("reason_required", False),
        where=f"{node.file}: {node.path}",
    )


def _wordings(spec_node: Node) -> tuple[Wording, ...]:
    """An input's ``wordings``: a list of {when, label, hint}, each for the cases whose conditions hold."""
    wordings = []
    for item in spec_node.get("wordings", []).items():
        if not item.is_mapping():
            continue
        item.reject_unknown("when", "label", "hint")
        when = tuple(item.text_list("when"))
        _check_names(item.get("when"), when, rules.PREDICATES, "condition")
        if not when and "when" in item.value:
            item.get("when").error("a wording is for some cases: name their conditions (the label is for the rest)")
        wordings.append(Wording(when, item.text("label"), item.text("hint", "")))
    return tuple(wordings)


def _check_names(node: Node, names: tuple[str, ...], registry: dict[str, Any], noun: str) -> None:
    for name in names:
        if name not in registry:
            node.error(f"unknown {noun} {name!r} (known: {', '.join(sorted(registry))})")


def _check_renewal_stands(root: Node, states: dict[str, StateDef]) -> None:
    """Every state of a running contract says where its renewal stands, and no ended one does: the scheduler
    raises a contract's renewal, notice-date and review tasks by it, and leaves one without it alone."""
    for state in states.values():
        node = root.get("states").child(state.name, None)
        if state.final and state.renewal:
            node.error("a final state has no renewal to decide: the contract has ended")
        elif not state.final and not state.renewal:
            node.error(f"a contract's state says where its renewal stands (renewal: {', '.join(RENEWAL_STANDS)})")


def _check_graph(root: Node, states: dict[str, StateDef], transitions: list[TransitionDef], initial: str) -> None:
    if initial and initial not in states:
        root.get("initial").error(f"unknown state {initial!r}")
    for t in transitions:
        for state in (*t.sources, *([t.dest] if t.dest else [])):
            if state and state not in states:
                root.problems.add(t.where, f"transition '{t.trigger}' names unknown state {state!r}")
        for source in t.sources:
            # An internal transition records something on an ended case without reopening it.
            if source in states and states[source].final and t.dest is not None:
                root.problems.add(t.where, f"'{source}' is final: no transition may leave it")
    outgoing = {s for t in transitions for s in t.sources}
    for state in states.values():
        if not state.final and state.name not in outgoing:
            root.get("states").child(state.name, None).error("a state that is not final needs a way out")
    if initial not in states:
        return
    edges: dict[str, set[str]] = {}
    for t in transitions:
        for source in t.sources:
            edges.setdefault(source, set()).add(t.dest or source)
    seen = {initial}
    queue = deque([initial])
    while queue:
        for nxt in edges.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    for state in states:
        if state not in seen:
            root.get("states").child(state, None).error(f"unreachable from the initial state '{initial}'")


__all__ = [
    "ConfigError",
    "InputSpec",
    "StateDef",
    "TransitionDef",
    "WorkflowDefinition",
    "WorkflowRegistry",
    "load_workflows",
]
