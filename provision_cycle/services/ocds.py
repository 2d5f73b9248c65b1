"""A case's Procurement Act 2023 notices as open data: OCDS 1.1 releases (the Open Contracting Data Standard,
which Find a Tender publishes), one for each notice the case recorded, in a release package.

Each release is built from what the case holds: its request, its route, the notice's own dates (the event's
inputs), the supplier and value of the award, the signed contract's dates. Notices carry the UK profile's
``noticeType`` on their document (a procurement's UK4 tender, UK5 transparency, UK6 contract award, UK7
contract details and UK12 procurement termination notices; a contract's UK10 change and UK11 termination
notices; a copy of a contract or of its modification, published with them, is a ``contractSigned`` document
instead; a notice under the PCR 2015, of a legacy procurement or a call-off under a PCR framework, has no
``noticeType``), and every notice its legal basis. A call-off names its framework (``relatedProcesses``).
A contract's notices share its procurement's ``ocid``: one contracting process from tender to termination.
A dynamic market is a contracting process of its own, its notices (UK13 to UK16) its releases, and a procurement
run by reference to it names it (``relatedProcesses``), as its notices must (PR24 regs 21 and 32(2)(e)).
Parties carry the identifiers the register holds: a council by its code, a supplier by its PPON (its unique
identifier on the Central Digital Platform) and its Companies House or charity number where recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import Core
from ..errors import NotFound
from ..governance.calendar import LONDON
from ..governance.organisation import JOINT
from ..governance.statutory import DirectAwardGround, Regime, Route, cpv_code, ppon
from ..models import AuditEvent, Case, CaseDeadline, Contract, CriterionKind, DynamicMarket, MarketNoticeKind
from ..models.suppliers import REGISTERS
from ..workflow.engine import Actor
from ..workflow.evaluation import Evaluation, evaluation_of
from ..workflow.markets import market_named_by, notice_of, part_named_by
from ..workflow.reservations import Reservation
from .evaluation import notified_supplier
from .markets import NOTICE_NAMES as MARKET_NOTICE_NAMES
from .markets import market_for
from .notices import ACTION as RECORD_NOTICE
from .notices import RECORDABLE
from .performance import RATINGS
from .periods import ACTION as EXTENDED
from .reading import get_case_for


@dataclass(frozen=True)
class Notice:
    notice_type: str  # the UK profile's noticeType
    document_type: str  # OCDS documentType
    tags: tuple[str, ...]
    title: str


NOTICES = {
    "publish_tender_notice": Notice("UK4", "tenderNotice", ("tender",), "Tender notice"),
    "publish_transparency_notice": Notice("UK5", "awardNotice", ("award", "contract"), "Transparency notice"),
    "publish_award_notice": Notice("UK6", "awardNotice", ("award", "contract"), "Contract award notice"),
    "publish_contract_details": Notice("UK7", "contractNotice", ("award", "contract"), "Contract details notice"),
    # A tender notice revised to extend a closing date (``services.periods``, PA23 s31).
    EXTENDED: Notice("UK4", "tenderNotice", ("tenderUpdate",), "Revised tender notice"),
}
# Under the PCR 2015 the contract details step publishes the award (statutory.pcr_award_notice): an award
# notice, by that law's name.
UNDER_THE_PCR = {"UK7": ("awardNotice", "Contract award notice")}
# Where the notice says when it was published (the event records it later, on the day the officer does).
PUBLISHED_ON = {
    "publish_tender_notice": "tender_notice_published_on",
    "publish_transparency_notice": "transparency_notice_published_on",
    "publish_award_notice": "award_notice_published_on",
    "publish_contract_details": "contract_details_published_on",
    EXTENDED: "revised_notice_published_on",
}
# Where the step says Find a Tender's identifier for its notice, if the team gave it (a notice recorded outside
# a step, and a performance notice, say it as ``notice_id``).
NOTICE_IDS = {
    "publish_tender_notice": "tender_notice_id",
    "publish_transparency_notice": "transparency_notice_id",
    "publish_award_notice": "award_notice_id",
    "publish_contract_details": "contract_details_notice_id",
}
METHODS = {  # OCDS's closed method codelist
    Route.OPEN_PROCEDURE: "open",
    Route.BELOW_THRESHOLD_TENDER: "open",
    Route.COMPETITIVE_FLEXIBLE: "selective",
    Route.QUOTATIONS: "limited",
    Route.FRAMEWORK_CALL_OFF: "limited",
    Route.LOW_VALUE_PURCHASE: "limited",
    Route.DIRECT_AWARD: "direct",
}
CATEGORIES = {"goods": "goods", "services": "services", "works": "works", "light_touch": "services"}
LEGAL_BASIS = {"PA2023": {"scheme": "UKPGA", "id": "2023/54"}, "PCR2015": {"scheme": "CELEX", "id": "32014L0024"}}
# What the award said of its supplier, by the UK profile's names for it in a party's details (PR24 reg
# 27(2)(e)(v): a VCSE, a supported employment provider, a public service mutual); its scale apart.
SUPPLIER_KINDS = {
    "supplier_is_vcse": "vcse",
    "supplier_is_supported_employment": "shelteredWorkshop",
    "supplier_is_public_service_mutual": "publicServiceMissionOrganization",
}


# Notices recorded once they were published (``services.notices``), by the deadline they meet: their OCDS
# document type and release tags.
_RECORDED_AS = {
    "procurement_termination_notice": ("tenderCancellationNotice", ("tenderCancellation",)),
    "contract_change_notice": ("contractNotice", ("contractAmendment",)),
    "termination_notice": ("contractTerminationNotice", ("contractTermination",)),
    "breach_performance_notice": ("implementationNotice", ("implementation",)),
    # Not notices but documents published with one: the contract and its modifications (PA23 s53(3), s77).
    "contract_copy": ("contractSigned", ("contractUpdate",)),
    "modification_copy": ("contractSigned", ("contractUpdate",)),
}
RECORDED = {kind: Notice(n.notice_type, *_RECORDED_AS[kind], n.title) for kind, n in RECORDABLE.items()}


# A KPI assessment, published as a contract performance notice (``services.performance``).
ASSESSMENT = "record_kpi_assessment"
PERFORMANCE_NOTICE = Notice("UK9", "implementationNotice", ("implementation",), "Contract performance notice")
RATING_LABELS = {code: label for code, (label, _) in RATINGS.items()}


# A dynamic market's notices (PA23 s39): the intention invites applications, as a tender notice does; the
# establishment updates it, a modification amends it, the cessation ends it.
MARKET_NOTICES = {
    kind: Notice(kind.value, "tenderNotice", (tag,), MARKET_NOTICE_NAMES[kind])
    for kind, tag in (
        (MarketNoticeKind.INTENTION, "tender"),
        (MarketNoticeKind.ESTABLISHMENT, "tenderUpdate"),
        (MarketNoticeKind.MODIFICATION, "tenderAmendment"),
        (MarketNoticeKind.CESSATION, "tenderUpdate"),
    )
}
# A market used by the councils that run it alone: a "closed" one, as the techniques extension says.
MARKET_TECHNIQUES = {"hasDynamicPurchasingSystem": True, "dynamicPurchasingSystem": {"type": "closed"}}


def publishes_a_notice(event: AuditEvent) -> bool:
    return event.action in NOTICES or event.action in (RECORD_NOTICE, ASSESSMENT)


def case_release_package(core: Core, session: Session, actor: Actor, case_id: int) -> dict[str, Any]:
    """The release package of a procurement or contract ``actor`` may see: a release for each notice it
    published."""
    case = get_case_for(session, actor, case_id)
    if case.stage not in ("procurement", "contract"):
        raise NotFound(f"{case.reference} is a commissioning case: only procurements and contracts publish notices")
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.case_id == case.id, AuditEvent.action.in_([*NOTICES, RECORD_NOTICE, ASSESSMENT]))
        .order_by(AuditEvent.seq)
    )
    if case.stage == "contract":
        contract = session.scalars(select(Contract).where(Contract.case_id == case.id)).one()
        procurement = session.get(Case, contract.procurement_case_id) if contract.procurement_case_id else None
        ocid = f"{core.settings.ocds_prefix}-{(procurement or case).reference}"
        releases = [_contract_release(core, case, contract, procurement, event, ocid) for event in events]
    else:
        standstill = session.scalar(
            select(CaseDeadline.due_on).where(CaseDeadline.case_id == case.id, CaseDeadline.kind == "standstill_end")
        )
        ocid = f"{core.settings.ocds_prefix}-{case.reference}"
        evaluated = evaluation_of(session, case.id)
        market = _market_related(core, session, case)
        releases = [_release(core, case, event, ocid, standstill, evaluated, market) for event in events]
    if not releases:  # a release package holds at least one release
        raise NotFound(f"{case.reference} has published no notices yet")
    return _package(core, f"/cases/{case.id}/ocds.json", case.authority, releases)


def market_release_package(core: Core, session: Session, actor: Actor, market_id: int) -> dict[str, Any]:
    """The release package of a dynamic market ``actor`` may see: a release for each of its notices, from the
    intention (which every market has) to the cessation."""
    market = market_for(session, actor, market_id)
    # The parts the intention named: a modification's come after them.
    parts = len(market.parts) - sum(len(notice.parts_added) for notice in market.notices)
    ocid, established = _market_ocid(core, market), notice_of(market, MarketNoticeKind.ESTABLISHMENT) is not None
    releases: list[dict[str, Any]] = []
    for market_notice in market.notices:
        kind = MarketNoticeKind(market_notice.kind)
        notice, published = MARKET_NOTICES[kind], market_notice.published_on.isoformat()
        parts += len(market_notice.parts_added)
        # A market given up before it was established was cancelled rather than run to its end.
        status = "active" if kind is not MarketNoticeKind.CESSATION else "complete" if established else "cancelled"
        at = market_notice.recorded_at
        # What the notice said (a modification's change, why the market ends), and where it is on Find a Tender.
        said = ". ".join(filter(None, (market_notice.summary.rstrip("."), _on_find_a_tender(market_notice.notice_id))))
        release = _release_of(core, market.authority, f"{market.reference}-{market_notice.id}", at, ocid, notice)
        release["tender"] = {
            "id": market.reference,
            "title": market.title,
            "description": market.description or None,
            "status": status,
            "procurementMethodDetails": "Dynamic market",
            "legalBasis": LEGAL_BASIS["PA2023"],
            "eligibilityCriteria": market.conditions or None,  # the conditions for membership (s36)
            "techniques": MARKET_TECHNIQUES,
            "lots": [
                {"id": str(number), "title": title, "status": status}
                for number, title in enumerate(market.parts[:parts], start=1)
            ]
            or None,
            "documents": [_document(market.reference, notice, published, market_notice.id, "PA2023", said)],
        }
        if kind is MarketNoticeKind.MODIFICATION:
            added = market_notice.parts_added
            release["tender"]["amendments"] = [
                {
                    "id": f"{market.reference}-amendment-{market_notice.id}",
                    "date": _instant(published),
                    "rationale": market_notice.summary,
                    "description": f"Parts added: {', '.join(added)}" if added else None,
                    "amendsReleaseID": releases[-1]["id"],
                    "releaseID": release["id"],
                }
            ]
        releases.append(_without_nones(release))
    return _package(core, f"/markets/{market.id}/ocds.json", market.authority, releases)


def _package(core: Core, path: str, authority: str, releases: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "uri": f"{core.settings.base_url}{path}",
        "version": "1.1",
        "publishedDate": _instant(core.engine.clock()),
        "publisher": {"name": core.governance.organisation.authority_name(authority)},
        "releases": releases,
    }


def _market_ocid(core: Core, market: DynamicMarket) -> str:
    return f"{core.settings.ocds_prefix}-{market.reference}"


def _market_related(core: Core, session: Session, case: Case) -> dict[str, Any] | None:
    """The dynamic market a procurement was run by reference to, as a related process (its own ``ocid``): the
    procurement's notices give its identifier."""
    market = market_named_by(session, case.details or {})
    if market is None:
        return None
    part = part_named_by(market, case.details or {})
    return {
        "id": "dynamic-market",
        "relationship": ["framework"],  # the nearest the codelist has: a process whose suppliers it draws on
        "title": f"{market.title}, part {part}" if part else market.title,
        "scheme": "ocid",
        "identifier": _market_ocid(core, market),
    }


def _notice_of(event: AuditEvent) -> tuple[Notice, str]:
    """The notice an event published, and the day it was published."""
    data = event.data or {}
    if event.action == RECORD_NOTICE:
        return RECORDED[data["deadline"]], data["published_on"]
    if event.action == ASSESSMENT:
        return PERFORMANCE_NOTICE, data["published_on"]
    return NOTICES[event.action], data.get(PUBLISHED_ON[event.action]) or event.at.date().isoformat()


def _tender_period(event: AuditEvent, details: dict[str, Any], published: str) -> dict[str, str] | None:
    """The tender period a tender notice gave, or a revised one extended to: from the notice (or, after a
    competitive flexible procedure's participation period, from the invitation) to the closing date as that
    notice said it."""
    data = event.data or {}
    if event.action == "publish_tender_notice" and data.get("tenders_close_on"):
        return {"startDate": _instant(published), "endDate": _instant(data["tenders_close_on"], end_of_day=True)}
    if event.action == EXTENDED and data.get("period") == "tenders_close_on":
        starts = details.get("tenders_invited_on") or details.get("tender_notice_published_on") or published
        return {"startDate": _instant(starts), "endDate": _instant(data["closes_on"], end_of_day=True)}
    return None


def _document(
    reference: str, notice: Notice, published: str, number: int, regime: str | None, description: str | None
) -> dict[str, Any]:
    # The UK profile's type (UK4...UK12) refines a notice's document type under the Act; a copy of the
    # contract is no notice, and a notice under the PCR 2015 (a legacy procurement, a call-off under a PCR
    # framework) is in that law's own form, which the profile does not number.
    under_the_act = regime != "PCR2015"
    document_type, title = (
        (notice.document_type, notice.title)
        if under_the_act
        else UNDER_THE_PCR.get(notice.notice_type, (notice.document_type, notice.title))
    )
    return {
        "id": f"{reference}-{notice.notice_type}-{number}",
        "documentType": document_type,
        "noticeType": notice.notice_type if document_type.endswith("Notice") and under_the_act else None,
        "title": title if under_the_act else f"{title} (Public Contracts Regulations 2015)",
        "description": description or None,
        "datePublished": _instant(published),
    }


def _found_as(event: AuditEvent) -> str | None:
    """Where the notice an event recorded is on Find a Tender, if its number was given."""
    return _on_find_a_tender((event.data or {}).get(NOTICE_IDS.get(event.action, "notice_id")))


def _on_find_a_tender(notice_id: str | None) -> str | None:
    return f"Find a Tender notice {notice_id}" if notice_id else None


def _release_of(core: Core, authority: str, release_id: str, at: datetime, ocid: str, notice: Notice) -> dict[str, Any]:
    """What every release says: which process, which release, which council."""
    release: dict[str, Any] = {
        "ocid": ocid,
        "id": release_id,
        "date": _instant(at),
        "tag": list(notice.tags),
        "initiationType": "tender",
        "language": "en",
        "parties": _buyers(core, authority),
    }
    if authority != JOINT:
        release["buyer"] = {"id": authority, "name": core.governance.organisation.authority_name(authority)}
    return release


def _release(
    core: Core,
    case: Case,
    event: AuditEvent,
    ocid: str,
    standstill: date | None,
    evaluated: Evaluation,
    market: dict[str, Any] | None,
) -> dict[str, Any]:
    notice, published = _notice_of(event)
    details, plan = case.details or {}, case.route_plan or {}
    route = Route.of(case.route)
    release = _release_of(core, case.authority, f"{case.reference}-{event.seq}", event.at, ocid, notice)
    cancelled = notice.notice_type == "UK12"
    release["tender"] = {
        "id": case.reference,
        "title": case.title,
        "description": case.description,
        "status": "cancelled" if cancelled else "active" if notice.notice_type == "UK4" else "complete",
        "value": _value(case.estimated_value, plan.get("value_inc_vat")),
        "aboveThreshold": plan.get("above_threshold"),  # as the route plan found it, with VAT (the UK profile's)
        "procurementMethod": METHODS.get(route),
        "procurementMethodDetails": route.label if route else None,
        "procurementMethodRationale": _direct_award_rationale(details) if route is Route.DIRECT_AWARD else None,
        "mainProcurementCategory": CATEGORIES[case.contract_type],
        "legalBasis": LEGAL_BASIS.get(case.regime or ""),
        "documents": [_document(case.reference, notice, published, event.seq, case.regime, _found_as(event))],
    }
    if route is Route.FRAMEWORK_CALL_OFF and details.get("framework_reference"):
        release["relatedProcesses"] = [
            {
                "id": "framework",
                "relationship": ["framework"],
                "title": details.get("framework_name") or details["framework_reference"],
                "identifier": details["framework_reference"],  # the provider's reference: its ocid is not known here
            }
        ]
    if market:
        release.setdefault("relatedProcesses", []).append(market)
    if cpv := cpv_code(details.get("main_cpv_code") or ""):  # as the tender (or transparency) notice gave it
        item: dict[str, Any] = {"id": "1", "classification": {"scheme": "CPV", "id": cpv}}
        if others := [
            code for line in str(details.get("other_cpv_codes") or "").splitlines() if (code := cpv_code(line))
        ]:
            item["additionalClassifications"] = [{"scheme": "CPV", "id": code} for code in others]
        release["tender"]["items"] = [item]
    if reservation := Reservation.of(details):  # to whom the tender notice reserved the competition
        release["tender"]["otherRequirements"] = reservation.open_data()
    if evaluated.criteria:  # set before the tender notice, which gives them (PA23 s23), and kept from then on
        release["tender"]["awardCriteria"] = _award_criteria_code(evaluated)
        release["tender"]["awardCriteriaDetails"] = "; ".join(f"{c.name}: {c.weighting}%" for c in evaluated.criteria)
    if period := _tender_period(event, details, published):
        release["tender"]["tenderPeriod"] = period
    if "award" in notice.tags and (awarded := _awarded(details)):
        supplier = _supplier(awarded)
        release["parties"].append(supplier)
        value = _value(Decimal(details.get("award_value") or case.estimated_value))
        signed = notice.notice_type == "UK7"
        award = {
            "id": f"{case.reference}-award",
            "status": "active" if signed else "pending",
            "date": _instant(published),
            "value": value,
            "suppliers": [{"id": supplier["id"], "name": supplier["name"]}],
        }
        if notice.notice_type == "UK6" and standstill:
            award["standstillPeriod"] = {"startDate": _instant(published), "endDate": _instant(standstill, True)}
        if notice.notice_type == "UK6" and details.get("assessment_summaries_sent_on"):
            award["assessmentSummariesDateSent"] = _instant(details["assessment_summaries_sent_on"])
        contract: dict[str, Any] = {
            "id": f"{case.reference}-contract",
            "awardID": award["id"],
            "status": "active" if signed else "pending",
            "value": value,
        }
        if signed and details.get("start_date") and details.get("end_date"):
            contract["period"] = {
                "startDate": _instant(details["start_date"]),
                "endDate": _instant(details["end_date"], end_of_day=True),
            }
            contract["dateSigned"] = _instant(details.get("signed_on") or published)
        if signed and case.regime == Regime.PA2023:  # the KPIs the contract details notice publishes (s52), or why none
            contract["agreedMetrics"] = [
                _kpi(n, name, target) for n, (name, target) in enumerate(details.get("kpis") or [], 1)
            ] or None
            contract["noAgreedMetricsRationale"] = details.get("kpis_exemption") or None
        release["awards"], release["contracts"] = [award], [contract]
        if evaluated.standings:
            _add_tenderers(release, evaluated, awarded)
    return _without_nones(release)


def _awarded(details: dict[str, Any]) -> dict[str, Any] | None:
    """The supplier the award names, as a party's details: the award recommendation's; before it, the one a
    direct award's transparency notice said the contract is to go to (PR24 reg 26); None before either."""
    return details if details.get("supplier_name") else notified_supplier(details) or None


def _kpi(number: int, name: str, target: str) -> dict[str, Any]:
    """A key performance indicator as the metrics extension has it: its name, and its target as the one
    observation known when the contract is signed."""
    return {
        "id": str(number),
        "title": name,
        "description": "Key performance indicator (Procurement Act 2023 s52)",
        "observations": [{"id": f"{number}-target", "measure": target, "notes": "Target"}],
    }


def _award_criteria_code(evaluated: Evaluation) -> str:
    """The OCDS awardCriteria code: price alone, quality alone, or criteria weighted together."""
    kinds = {c.kind for c in evaluated.criteria}
    if kinds == {CriterionKind.PRICE}:
        return "priceOnly"
    return "ratedCriteria" if CriterionKind.PRICE in kinds else "qualityOnly"


def _add_tenderers(release: dict[str, Any], evaluated: Evaluation, awarded: dict[str, Any]) -> None:
    """Every supplier who tendered, as a party (the supplier ``awarded`` is one of them, its tender identified
    as the award identifies it) and among the tender's tenderers: the award notice counts them."""
    parties = {party["id"]: party for party in release["parties"] if "id" in party}
    awarded_unnumbered = _supplier({**awarded, "supplier_ppon": ""})["id"]  # by its number or name alone
    tenderers = []
    for standing in evaluated.standings:
        tender = standing.tender
        given = {
            "supplier_name": tender.supplier_name,
            "supplier_registration": tender.supplier_registration,
            "supplier_ppon": tender.supplier_ppon,
            "supplier_is_sme": tender.supplier_is_sme,
            "supplier_is_vcse": tender.supplier_is_vcse,
        }
        party = _supplier(given)
        if _supplier({**given, "supplier_ppon": ""})["id"] == awarded_unnumbered:  # the awarded supplier's tender
            party = _supplier({**given, "supplier_ppon": awarded.get("supplier_ppon") or ""})
        known = parties.get(party["id"])
        if known is None:
            party["roles"] = ["tenderer"]
            release["parties"].append(party)
            parties[party["id"]] = party
        elif "tenderer" not in known["roles"]:
            known["roles"].append("tenderer")
        else:  # two tenders giving one registration number: one party
            continue
        tenderers.append({"id": party["id"], "name": party["name"]})
    release["tender"]["numberOfTenderers"] = len(evaluated.standings)
    release["tender"]["tenderers"] = tenderers


def _direct_award_rationale(details: dict[str, Any]) -> str | None:
    """Why the contract is awarded directly: its ground in the Act, and the council's reasons."""
    ground = DirectAwardGround.of(details.get("direct_award_ground"))
    if ground is None:
        return details.get("direct_award_justification") or None
    basis = "s43" if ground is DirectAwardGround.SWITCHING else "s41 and Schedule 5"
    said = f"{ground.label} (Procurement Act 2023 {basis})"
    return f"{said}: {details['direct_award_justification']}" if details.get("direct_award_justification") else said


def _contract_release(
    core: Core, case: Case, contract: Contract, procurement: Case | None, event: AuditEvent, ocid: str
) -> dict[str, Any]:
    """A contract's change (UK10), termination (UK11) or performance (UK9) notice: the contract as the notice
    described it."""
    notice, published = _notice_of(event)
    said = (event.data or {}).get("contract") or {}
    base = (procurement or case).reference  # the ids the procurement's award and contract releases used
    # The supplier as the notice named it (kept with it since novations came in: one that took the contract over
    # later is not the earlier notices'), else as the register has it.
    supplier = _supplier(said.get("supplier") or contract.supplier())
    release = _release_of(core, case.authority, f"{case.reference}-{event.seq}", event.at, ocid, notice)
    release["parties"].append(supplier)
    value = _value(Decimal(said.get("value") or contract.value))
    award = {"id": f"{base}-award", "status": "active", "suppliers": [{"id": supplier["id"], "name": supplier["name"]}]}
    terminated = notice.notice_type == "UK11"
    entry: dict[str, Any] = {
        "id": f"{base}-contract",
        "awardID": award["id"],
        "title": contract.title,
        "status": "terminated" if terminated else "active",
        "value": value,
        "period": {
            "startDate": _instant(contract.start_date),
            "endDate": _instant(said.get("end_date") or contract.end_date, end_of_day=True),
        },
        "dateSigned": _instant(contract.signed_on) if contract.signed_on else None,
        "documents": [_document(contract.reference, notice, published, event.seq, contract.regime, _found_as(event))],
    }
    if notice.notice_type == "UK9":  # a performance notice goes on the contract's implementation
        document = entry.pop("documents")[0]
        document["description"] = " ".join(
            part for part in (_performance_said(event, said), document.get("description")) if part
        )
        entry["implementation"] = {"documents": [document]}
    if "contractAmendment" in notice.tags:  # the change notice; a copy of the change published later is not
        entry["amendments"] = [
            {
                "id": f"{contract.reference}-amendment-{event.seq}",
                "date": _instant(published),
                "description": said.get("change") or None,
                "rationale": said.get("change_basis") or None,
                "releaseID": release["id"],
            }
        ]
    release["tender"] = {"id": base, "legalBasis": LEGAL_BASIS.get(contract.regime)}
    release["awards"], release["contracts"] = [award], [entry]
    return _without_nones(release)


def _performance_said(event: AuditEvent, said: dict[str, str]) -> str:
    """What a contract performance notice says: an assessment's ratings against the KPIs, or the supplier's
    breach or failure to perform (PA23 s71(3)-(5))."""
    if event.action != ASSESSMENT:
        return f"Breach or failure to perform (Procurement Act 2023 s71(5) applies): {said.get('breach', '')}"
    starts, ends = (event.data or {})["period"]
    rated = "; ".join(f"{name}: {RATING_LABELS[rating]}" for name, rating in (event.data or {})["ratings"])
    return f"Assessment of performance against the key performance indicators, {_day(starts)} to {_day(ends)}: {rated}."


def _day(iso: str) -> str:
    return f"{date.fromisoformat(iso):%-d %B %Y}"


def _buyers(core: Core, authority: str) -> list[dict[str, Any]]:
    org = core.governance.organisation
    return [
        {
            "id": code,
            "name": org.authorities[code].name,
            "roles": ["buyer"],
            "details": {"classifications": [{"scheme": "UK_CA_TYPE", "id": "publicAuthoritySubCentralGovernment"}]},
        }
        for code in org.authorities_of(authority)
    ]


def _supplier(details: dict[str, Any]) -> dict[str, Any]:
    """A supplier as a party: identified by its PPON where recorded, as Find a Tender identifies suppliers (its
    Companies House or charity number then an additional identifier), else by that number, else by its name."""
    name, registration = details["supplier_name"], (details.get("supplier_registration") or "").strip().upper()
    party: dict[str, Any] = {"name": name, "roles": ["supplier"]}
    scheme = next((name for name, pattern in REGISTERS.items() if pattern.fullmatch(registration)), None)
    registered = {"scheme": scheme, "id": registration, "legalName": name} if scheme else None
    if unique := ppon(details.get("supplier_ppon") or ""):
        party["id"] = f"GB-PPON-{unique}"
        party["identifier"] = {"scheme": "GB-PPON", "id": unique, "legalName": name}
        if registered:
            party["additionalIdentifiers"] = [registered]
    elif registered:
        party["id"] = f"{scheme}-{registration}"
        party["identifier"] = registered
    else:  # no identifier the registers know: an id of our own, stable for the name
        party["id"] = "supplier-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if details.get("supplier_is_sme") is not None:  # asked at the award, not by a transparency notice
        party["details"] = {"scale": "sme" if details["supplier_is_sme"] else "large"}
    for answer, field in SUPPLIER_KINDS.items():
        if details.get(answer) is not None:
            party.setdefault("details", {})[field] = bool(details[answer])
    return party


def _value(amount: Decimal, with_vat: Decimal | str | None = None) -> dict[str, Any]:
    """An amount without VAT, and with it where known (the UK profile's ``amountGross``)."""
    value: dict[str, Any] = {"amount": float(amount), "currency": "GBP"}
    if with_vat is not None:
        value["amountGross"] = float(Decimal(with_vat))
    return value


def _instant(value: datetime | date | str, end_of_day: bool = False) -> str:
    """An OCDS date-time in UTC: a stored instant as it is; a UK day as its start (or its end)."""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(23, 59, 59) if end_of_day else time(0), tzinfo=LONDON)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _without_nones(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nones(v) for v in value]
    return value
