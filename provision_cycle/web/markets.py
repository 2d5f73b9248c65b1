"""Dynamic markets: the councils' markets, each with its notices, its members and the applications to join it.
Thin: each page reads and changes through ``services.markets``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for

from ..errors import InvalidInput, NotFound, NotPermitted
from ..models import DynamicMarket, MarketNoticeKind
from ..services import markets as service
from ..services import ocds
from ..services.markets import NOTICE_NAMES, STATUS_WORDS, ApplicationGiven, MarketGiven
from ..services.reading import staff_authorities
from ..workflow.markets import members_of, status_of
from .common import core, me, release_package, render
from .forms import (
    AdmitForm,
    MarketApplicationForm,
    MarketForm,
    MarketNoticeForm,
    apply_errors,
    change_from,
    dated_reason_form_class,
    options,
    supplier_answers,
)
from .security import signed_in

markets = Blueprint("markets", __name__, url_prefix="/markets")


@dataclass(frozen=True)
class LaterNotice:
    """A notice recorded after the intention, as its page asks for it."""

    kind: MarketNoticeKind
    heading: str
    summary_label: str  # empty: the notice asks nothing but its date


LATER_NOTICES = {
    "establishment": LaterNotice(MarketNoticeKind.ESTABLISHMENT, "Record the market's establishment", ""),
    "modification": LaterNotice(
        MarketNoticeKind.MODIFICATION,
        "Record a modification of the market",
        "What the modification changes (its term, its parts, what it is for)",
    ),
    "cessation": LaterNotice(
        MarketNoticeKind.CESSATION,
        "Record the market's cessation",
        "Why the market ends",
    ),
}
RefuseForm = dated_reason_form_class(
    "Date the application was refused",
    "Why is it refused?",
    "Say why the application is refused",
    "Refuse the application",
)
RemoveForm = dated_reason_form_class(
    "Date the supplier was removed",
    "Why is it removed?",
    "Say why the supplier is removed",
    "Remove the supplier",
)


@markets.get("/")
@signed_in
def index():
    with core().db.reading() as session:
        found = service.markets_for(session, me())
        session.expunge_all()
    return render(
        "markets/index.html",
        markets=found,
        may_open=service.may_open_markets(me()),
        status_of=status_of,
        members_of=members_of,
        **_words(),
    )


@markets.route("/new", methods=["GET", "POST"])
@signed_in
def new():
    """Open a market on the record, with the date of its intention notice (UK13)."""
    if not service.may_open_markets(me()):
        raise NotFound("Only a category team opens a dynamic market")
    form = MarketForm()
    form.fill_choices(core(), staff_authorities(me()))
    if form.validate_on_submit():
        given = MarketGiven(
            title=form.title.data,
            description=form.description.data or "",
            conditions=form.conditions.data or "",
            authority=form.authority.data,
            category=form.category.data,
            intention_published_on=form.intention_published_on.data,
            parts=(form.parts.data or "").splitlines(),
            intention_notice_id=form.intention_notice_id.data or "",
        )
        try:
            market_id = service.open_market(core(), me().id, given)
        except InvalidInput as error:
            apply_errors(form, error.fields)
        except NotPermitted as error:  # a category of a pillar the person does not work in
            apply_errors(form, {"category": error.message})
        else:
            flash(f"The dynamic market '{given.title.strip()}' is on the record")
            return redirect(url_for("markets.show", market_id=market_id))
    return render("markets/new.html", form=form)


@markets.get("/<id:market_id>")
@signed_in
def show(market_id: int):
    with core().db.reading() as session:
        market = service.market_for(session, me(), market_id)
        procurements = service.procurements_by_reference_to(session, market)
        session.expunge_all()
    return render(
        "markets/show.html",
        market=market,
        market_status=status_of(market),
        members=members_of(market),
        procurements=procurements,
        may_manage=service.may_manage(me(), market),
        later_notices=LATER_NOTICES,
        organisation=core().governance.organisation,
        **_words(),
    )


@markets.get("/<id:market_id>/ocds.json")
@signed_in
def open_data(market_id: int):
    """The market's notices as an OCDS release package."""
    with core().db.reading() as session:
        package = ocds.market_release_package(core(), session, me(), market_id)
    return release_package(package)


@markets.route("/<id:market_id>/notices/<kind>", methods=["GET", "POST"])
@signed_in
def notice(market_id: int, kind: str):
    """Record the market's establishment (UK14), a modification (UK15) or its cessation (UK16)."""
    later = LATER_NOTICES.get(kind)
    if later is None:
        raise NotFound(f"There is no dynamic market notice '{kind}'")
    market = _managed(market_id)
    form = MarketNoticeForm()
    form.summary.label.text = later.summary_label

    adds_parts = later.kind is MarketNoticeKind.MODIFICATION and bool(market.parts)

    def save() -> str:
        summary, parts_added = form.summary.data or "", (form.parts_added.data or "").splitlines()
        given = (form.published_on.data, summary, parts_added, form.notice_id.data or "")
        service.record_notice(core(), market_id, me().id, later.kind, *given)
        return f"The {NOTICE_NAMES[later.kind][0].lower()}{NOTICE_NAMES[later.kind][1:]} is recorded"

    if done := change_from(form, save, back=url_for("markets.show", market_id=market_id)):
        return done
    return render(
        "markets/form.html",
        market=market,
        form=form,
        heading=later.heading,
        intro=NOTICE_NAMES[later.kind],
        hidden=(() if later.summary_label else ("summary",)) + (() if adds_parts else ("parts_added",)),
    )


@markets.route("/<id:market_id>/applications/new", methods=["GET", "POST"])
@signed_in
def application(market_id: int):
    """Record a supplier's application to join."""
    market = _managed(market_id)
    form = MarketApplicationForm()
    form.parts.choices = options([(part, part) for part in market.parts])

    def save() -> str:
        given = ApplicationGiven(
            **supplier_answers(form),
            applied_on=form.applied_on.data,
            parts=form.parts.data or (),
        )
        service.record_application(core(), market_id, me().id, given)
        return f"{given.supplier_name.strip()}'s application is recorded"

    if done := change_from(form, save, back=url_for("markets.show", market_id=market_id, _anchor="applications")):
        return done
    return render(
        "markets/form.html",
        market=market,
        form=form,
        heading="Record an application to join",
        intro="A supplier may apply at any time while the market runs, and is admitted if it meets the conditions "
        "for membership and is not excluded. Decide each application within a reasonable period.",
        hidden=() if market.parts else ("parts",),
    )


@markets.route("/<id:market_id>/applications/<id:membership_id>/admit", methods=["GET", "POST"])
@signed_in
def admit(market_id: int, membership_id: int):
    market, membership = _managed_membership(market_id, membership_id)
    form = AdmitForm(data={"parts": membership.parts} if request.method == "GET" else None)
    form.parts.choices = options([(part, part) for part in membership.parts])  # those it applied for

    def save() -> str:
        dates = (form.decided_on.data, form.exclusions_checked_on.data)
        parts = form.parts.data if market.parts else None
        name = service.admit(core(), market_id, membership_id, me().id, *dates, parts=parts)
        return f"{name} is admitted to {market.reference}"

    if done := change_from(form, save, back=url_for("markets.show", market_id=market_id, _anchor="members")):
        return done
    heading = f"Admit {membership.supplier_name}" + (" to more parts" if membership.extends_id else "")
    return _decision_page(market, membership, form, heading, hidden=() if market.parts else ("parts",))


@markets.route("/<id:market_id>/applications/<id:membership_id>/refuse", methods=["GET", "POST"])
@signed_in
def refuse(market_id: int, membership_id: int):
    market, membership = _managed_membership(market_id, membership_id)
    form = RefuseForm()

    def save() -> str:
        name = service.refuse(core(), market_id, membership_id, me().id, form.on.data, form.because.data)
        return f"{name}'s application is refused"

    if done := change_from(form, save, back=url_for("markets.show", market_id=market_id, _anchor="applications")):
        return done
    return _decision_page(market, membership, form, f"Refuse {membership.supplier_name}'s application")


@markets.route("/<id:market_id>/members/<id:membership_id>/remove", methods=["GET", "POST"])
@signed_in
def remove(market_id: int, membership_id: int):
    market, membership = _managed_membership(market_id, membership_id)
    form = RemoveForm()

    def save() -> str:
        name = service.remove_member(core(), market_id, membership_id, me().id, form.on.data, form.because.data)
        return f"{name} is removed from {market.reference}"

    if done := change_from(form, save, back=url_for("markets.show", market_id=market_id, _anchor="members")):
        return done
    intro = (
        "A member that becomes excluded is removed; one that becomes excludable, or no longer meets the "
        "conditions for membership, may be (Procurement Act 2023 s37)."
    )
    return _decision_page(market, membership, form, f"Remove {membership.supplier_name}", intro)


def _managed(market_id: int) -> DynamicMarket:
    """The market (with its notices and applications), if the person may see it and change it; otherwise not
    found."""
    with core().db.reading() as session:
        market = service.market_for(session, me(), market_id)
        session.expunge_all()
    if not service.may_manage(me(), market):
        raise NotFound(f"There is no dynamic market {market_id} that you can change")
    return market


def _managed_membership(market_id: int, membership_id: int):
    market = _managed(market_id)
    membership = next((m for m in market.memberships if m.id == membership_id), None)
    if membership is None:
        raise NotFound(f"There is no application {membership_id} to {market.reference}")
    return market, membership


def _decision_page(market, membership, form, heading: str, intro: str = "", hidden: tuple[str, ...] = ()):
    return render(
        "markets/form.html",
        market=market,
        form=form,
        heading=heading,
        intro=intro,
        membership=membership,
        hidden=hidden,
    )


def _words() -> dict[str, Any]:
    return {"status_words": STATUS_WORDS, "notice_names": NOTICE_NAMES}
