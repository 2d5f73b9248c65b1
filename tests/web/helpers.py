"""Helpers for the web tests: contracts in the register, without going through a whole procurement; a page's
text as a person reads it."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser

from provision_cycle.services.register import ExistingContract, import_contract
from provision_cycle.services.tasks import NewTask, raise_task


def page_text(html: str) -> str:
    """What a page says, without its markup, its spacing run together: what an assertion reads."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def seed_contracts(core, people, count: int, authority: str = "OCC") -> list[int]:
    today = core.engine.today()
    ids = []
    with core.db.unit_of_work() as session:
        for n in range(count):
            contract = import_contract(
                core,
                session,
                ExistingContract(
                    title=f"Contract {n}",
                    authority=authority,
                    category="corporate_supplies",
                    contract_type="goods",
                    supplier_name=f"Supplier {n}",
                    value=Decimal(10000 + n * 1000),
                    start_date=today - timedelta(days=400),
                    end_date=today + timedelta(days=30 * (n + 1)),
                    contract_manager_id=people.contract_manager,
                ),
                actor_id=people.officer,
            )
            ids.append(contract.id)
    return ids


def renewal_task(core, people, contract_id: int, title: str, due_on=None) -> int:
    """A renewal-decision task on the contract for its manager, raised by the category officer (due today
    unless said)."""
    with core.db.unit_of_work() as session:
        new = NewTask("renewal_decision", title, due_on or core.engine.today(), people.contract_manager,
                      contract_id=contract_id)  # fmt: skip
        return raise_task(core, session, new, actor_id=people.officer)


def public_contract_that_ended(core, people, *, days_ago: int):
    """A contract let under the Procurement Act that ended ``days_ago`` days ago, expired by the scheduler,
    with its termination notice's task raised if it falls due within the warning period."""
    from provision_cycle.scheduling.config import schedule_for
    from provision_cycle.scheduling.sweeps import expire_contracts, remind_deadlines
    from tests.factories import register_contract

    today = core.engine.today()
    ended = today - timedelta(days=days_ago)
    contract = register_contract(core, people, value="500000", starts=ended - timedelta(days=400), ends=ended)
    expire_contracts(core, today)
    remind_deadlines(core, schedule_for(core), today)
    return contract


def contract_with_kpis(core, people):
    """A 6m contract let under the Act (so it must have KPIs), started 200 days ago, with three KPIs set."""
    from provision_cycle.services.performance import set_kpis
    from tests.factories import register_contract

    today = core.engine.today()
    contract = register_contract(
        core,
        people,
        value="6000000",
        starts=today - timedelta(days=200),
        ends=today + timedelta(days=4 * 365),
        title="Waste collection",
    )
    kpis = [("Bins collected on the scheduled day", "99.5%"), ("Missed bins put right", "Within 2 working days"),
            ("Complaints", "Fewer than 20 a month")]  # fmt: skip
    set_kpis(core, contract.id, people.contract_manager, kpis)
    return contract


def contract_with_variation(core, people, *, approved: bool):
    """A contract let under the Act with a variation of +30% proposed: before its approvers or, ``approved``,
    waiting for its change notice (with a voluntary standstill after it)."""
    from tests.factories import approve_gate, propose_variation, register_contract

    today = core.engine.today()
    contract = register_contract(
        core, people, value="500000", starts=today - timedelta(days=200), ends=today + timedelta(days=900)
    )
    inputs = {
        "variation_description": "Two more depots",
        "new_value": "650000",
        "new_end_date": (today + timedelta(days=900)).isoformat(),
        "voluntary_standstill": True,
    }
    propose_variation(core.engine, contract.case_id, people.contract_manager, inputs)
    if approved:
        approve_gate(core.engine, contract.case_id, [people.head])
    return contract


def officer_decision_record(core, case_id: int, title: str) -> int:
    """An officer's award on the case, recorded as its award approval records one (not a key decision)."""
    from provision_cycle.models import DecisionRecord

    with core.db.unit_of_work() as session:
        record = DecisionRecord(
            case_id=case_id, authority="OCC", decided_at=core.engine.clock(), by_executive=False, urgency=None,
            subject=f"Award of the contract for {title}",
            decision=f"To award the contract for {title} to Acme Ltd, worth £240,000.00 excluding VAT.",
            reasons="Procured by open procedure.", alternatives="No other tender is recorded.",
            conflicts="None declared", decided_by="Hana Head (Head of Category)", value=Decimal("240000"),
        )  # fmt: skip
        session.add(record)
        session.flush()
        return record.id


def payments_compliance_due(core, people, clock) -> None:
    """On 5 October 2026: under a public contract let under the Act, two payments in April to September 2026,
    19 and 50 days after their invoices were received, and one with no invoice day; the S151 officer's task
    for the period's payments compliance notice raised."""
    from datetime import date

    from provision_cycle.scheduling.config import schedule_for
    from provision_cycle.scheduling.sweeps import raise_council_duties
    from provision_cycle.services.spend import load_spend
    from tests.factories import register_contract

    clock.set(date(2026, 10, 5))
    contract = register_contract(core, people, value="500000", starts=date(2025, 7, 1), ends=date(2028, 6, 30))
    spend = (
        "Council,Transaction number,Date paid,Supplier,Amount,Contract reference,Invoice received\n"
        f"OCC,T-1,2026-05-20,S,1250,{contract.reference},2026-05-01\n"
        f"OCC,T-2,2026-07-21,S,1250,{contract.reference},2026-06-01\n"
        f"OCC,T-3,2026-08-01,S,1250,{contract.reference},\n"
    )
    load_spend(core, spend.encode(), actor_id=people.system, apply=True)
    raise_council_duties(core, schedule_for(core), core.engine.today())


def procurement_in_evaluation(core, people, *, criteria=None, title: str = "Library self-service kiosks") -> int:
    """A 250,000 OCC open procedure whose tenders closed yesterday (its tender notice out 40 days ago), ready
    for its award to be recommended once its tenders are recorded and scored; ``criteria`` (rows as the
    award criteria form takes them) set before its tender notice."""
    from provision_cycle.services.evaluation import set_award_criteria
    from tests.factories import act, publish_tender_notice, ready_for_the_market, ready_to_recommend

    engine, today = core.engine, core.engine.today()
    case_id = ready_for_the_market(engine, people, value="250000", title=title)
    if criteria:
        set_award_criteria(core, case_id, people.officer, criteria)
    published, closed = (today - timedelta(days=days) for days in (40, 1))
    publish_tender_notice(engine, case_id, people.officer, published.isoformat(), closed.isoformat())
    act(engine, case_id, "close_tenders", people.officer)
    ready_to_recommend(engine, case_id, people)
    return case_id


def evaluated_procurement(core, people) -> tuple[int, dict[str, int]]:
    """``procurement_in_evaluation`` with its criteria set, two tenders recorded, marked by the officer and
    scored (Acme Ltd first) and a third not assessed; the case's id and its tenders' ids by supplier."""
    from provision_cycle.services.evaluation import TenderGiven, mark_tender, record_tender, score_tender
    from provision_cycle.workflow.evaluation import evaluation_of
    from tests.test_evaluation import CRITERIA

    case_id = procurement_in_evaluation(core, people, criteria=CRITERIA)
    received = core.engine.today() - timedelta(days=1)
    ids = {
        name: record_tender(core, case_id, people.officer, TenderGiven(name, "", True, False, price, received, why))
        for name, price, why in (
            ("Acme Ltd", "240000", ""),
            ("Brightwork CIC", "200000", ""),
            ("Late Co", "150000", "Received after the deadline"),
        )
    }
    with core.db.reading() as session:
        quality, social, _ = (c.id for c in evaluation_of(session, case_id).criteria)
    for name, marks in (("Acme Ltd", ("5", "4")), ("Brightwork CIC", ("3", "5"))):
        given = {quality: (marks[0], "A week-by-week plan"), social: (marks[1], "Local apprenticeships")}
        mark_tender(core, case_id, people.officer, ids[name], given)  # the officer's own marks, then the panel's
        score_tender(core, case_id, people.officer, ids[name], given)
    return case_id, ids


def called_off_contract(core, db, people) -> int:
    """A 240,000 OCC call-off under a framework procured under the PCR 2015, through its award (no award notice
    of its own, PCR 2015 reg 50(4)) to a signed contract handed to contract management, all dated today; the
    contract's id."""
    from sqlalchemy import select

    from provision_cycle.models import Contract
    from provision_cycle.services.frameworks import FrameworkGiven, record_framework
    from tests.factories import AWARD_INPUTS_UNDER_THE_PCR, act, approve_open_steps, ready_for_the_market

    today = core.engine.today()
    given = FrameworkGiven("Crown Commercial Service", "RM6098", "1", "Technology Products 2", "PCR2015",
                           today - timedelta(days=1000), today + timedelta(days=300), "JOINT",
                           direct_award=True)  # fmt: skip
    framework_id = record_framework(core, people.officer, given)
    case_id = ready_for_the_market(core.engine, people, value="250000", route="framework_call_off")
    on = today.isoformat()
    for trigger, inputs in (
        ("start_call_off", {"framework": str(framework_id), "direct_call_off": True}),
        ("complete_call_off_selection", {}),
        ("recommend_award", AWARD_INPUTS_UNDER_THE_PCR),
    ):
        act(core.engine, case_id, trigger, people.officer, inputs=inputs)
    approve_open_steps(core.engine, db, people, case_id)
    signature = {"signed_on": on, "start_date": on, "end_date": (today + timedelta(days=730)).isoformat()}
    for trigger, inputs in (
        ("sign_contract", signature),
        ("publish_contract_details", {"contract_details_published_on": on}),
    ):
        act(core.engine, case_id, trigger, people.officer, inputs=inputs)
    with db.reading() as session:
        return session.scalars(select(Contract.id).where(Contract.procurement_case_id == case_id)).one()


class _Tables(HTMLParser):
    """Each table's header width and the width of each body row (colspans counted)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self.part = ""

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"id": dict(attrs).get("id", ""), "header": 0, "rows": []})
        elif tag in ("thead", "tbody") and self.tables:
            self.part = tag
        elif tag == "tr" and self.tables and self.part == "tbody":
            self.tables[-1]["rows"].append(0)
        elif tag in ("th", "td") and self.tables:
            span = int(dict(attrs).get("colspan") or 1)
            if self.part == "thead":
                self.tables[-1]["header"] += span
            elif self.part == "tbody" and self.tables[-1]["rows"]:
                self.tables[-1]["rows"][-1] += span

    def handle_endtag(self, tag):
        if tag in ("thead", "tbody"):
            self.part = ""


def page_faults(html: str) -> list[str]:
    """What is wrong with a page's HTML that no browser complains of: ragged tables, duplicate ids."""
    return ragged_tables(html) + duplicate_ids(html)


def ragged_tables(html: str) -> list[str]:
    """The tables on a page with a body row wider or narrower than their header: a cell too many or too few."""
    parser = _Tables()
    parser.feed(html)
    return [
        f"table {t['id'] or n}: header of {t['header']}, rows of {sorted(set(t['rows']))}"
        for n, t in enumerate(parser.tables)
        if t["header"] and any(width != t["header"] for width in t["rows"])
    ]


def duplicate_ids(html: str) -> list[str]:
    """The ids a page gives more than one element: a label, a link or an error summary finds only the first."""
    return [
        f"id {name} {count} times" for name, count in Counter(re.findall(r'\sid="([^"]+)"', html)).items() if count > 1
    ]


def forms_on(html: str) -> list[Form]:
    """The forms on a page, with their fields, as a browser would send them."""
    parser = _Forms()
    parser.feed(html)
    return parser.forms


@dataclass
class Field:
    name: str
    kind: str  # text, textarea, select, radio, checkbox, number, file, ...
    value: str | None = None  # as the page fills it (a choice checked, an option selected)
    inputmode: str = ""
    id: str = ""  # a date's three boxes share its name; their ids end -day, -month and -year
    option: str = ""  # a radio's or a checkbox's: what it sends when checked


@dataclass
class Form:
    method: str
    action: str
    token: list[tuple[str, str]] = field(default_factory=list)  # its CSRF token (a prefixed form's too)
    hidden: list[tuple[str, str]] = field(default_factory=list)  # its other hidden fields
    pressed: list[tuple[str, str]] = field(default_factory=list)  # its first named button, as clicking sends it
    visible: list[Field] = field(default_factory=list)

    def fields_named(self) -> set[str]:
        return {f.name for f in self.visible} | {name for name, _ in self.hidden}

    def asks_anything(self) -> bool:
        return bool(self.visible or self.hidden)


class _Forms(HTMLParser):
    """The forms on a page, with their fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.form = Form((a.get("method") or "get").lower(), unescape(a.get("action", "")))
            self.forms.append(self.form)
        elif self.form is None or not a.get("name") and tag != "option":
            return
        elif tag == "button" and a.get("type", "submit") == "submit" or tag == "input" and a.get("type") == "submit":
            if not self.form.pressed:
                self.form.pressed.append((a["name"], a.get("value", "")))
        elif tag == "input":
            kind = a.get("type", "text")
            if kind == "hidden":
                (self.form.token if a["name"].endswith("csrf_token") else self.form.hidden).append(
                    (a["name"], a.get("value", ""))
                )
            elif kind != "button":
                checked = "checked" in a if kind in ("radio", "checkbox") else True
                value = a.get("value", "on" if kind == "checkbox" else "") if checked else None
                option = a.get("value", "on") if kind in ("radio", "checkbox") else ""
                self.form.visible.append(Field(a["name"], kind, value, a.get("inputmode", ""), a.get("id", ""), option))
        elif tag == "textarea":
            self.form.visible.append(Field(a["name"], "textarea", ""))
        elif tag == "select":
            self.select = Field(a["name"], "select", None)
            self.form.visible.append(self.select)
        elif tag == "option" and self.select is not None and (self.select.value is None or "selected" in a):
            self.select.value = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
