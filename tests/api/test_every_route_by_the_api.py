"""Every route, and every contract's journeys, through the JSON API as a portal or a script would take them: each
step one of the case's `available_actions` for someone, with nothing in `not_yet`, sent with the inputs it lists
(JSON's own booleans, ISO dates); an approver's through the decision endpoint. Never refused, never stuck: the
same journeys as the engine's walk (tests/test_invariants.py) and the pages' (tests/web), by the API's door."""

from __future__ import annotations

from decimal import Decimal

import pytest

from provision_cycle.models import Case
from provision_cycle.services.reading import actions_with_obstacles
from tests.factories import hub_people
from tests.journeys import (
    BY_EVERY_DOOR,
    CHANGED_BY,
    EVERY_ROUTE,
    JOURNEYS,
    ONWARD,
    EachPerson,
    answers_for,
    contract_journey,
    contract_on,
    request_on,
    taken_how,
)

KPIS = {"kpis": [{"name": "On-time delivery", "target": "95%"}, {"name": "Defects", "target": "Under 2%"},
                 {"name": "Complaints", "target": "None upheld"}]}  # fmt: skip


@pytest.mark.parametrize("route,value,contract_type,how,authority", EVERY_ROUTE, ids=lambda v: str(v))
def test_every_route_reaches_its_contract_through_the_api(
    api, core, db, clock, route, value, contract_type, how, authority
):
    case_id, people, everyone = request_on(core, db, route, value, contract_type, how, authority)
    clients = EachPerson(everyone, api)
    # The category officer runs the procurement, declaring first; a manager who recommended the award could
    # not then approve it (segregation of duties), and theirs is the award approval at some values.
    clients[people.officer].post(f"/cases/{case_id}/declarations", {"has_conflict": False})
    taken: list[str] = []
    for _ in range(80):
        state = clients[people.officer].get(f"/cases/{case_id}").get_json()["state"]
        if state == "handed_over":
            with db.reading() as session:
                assert taken_how(session.get(Case, case_id), how)
            return
        offered = _offered(core, clients, case_id, ONWARD, state, taken)
        if offered:
            person, action = min(
                offered, key=lambda offer: (ONWARD.index(offer[1]["trigger"]), offer[0] != people.officer)
            )
            _take(clients[person], case_id, action, answers_for(action["trigger"], clock.today, 30, value, how))
            taken.append(f"{state}:{action['trigger']}")
        elif "KPI" in (waiting := _waiting_for(clients, case_id, people.officer)) and "kpis" not in taken:
            clients[people.officer].post(f"/cases/{case_id}/kpis", KPIS)  # over 5,000,000 (PA23 s52)
            taken.append("kpis")
        elif "Record the tenders" in waiting and "tender" not in taken:  # a further competition's, before the award
            tender = {"supplier_name": "Acme Ltd", "supplier_is_sme": True, "supplier_is_vcse": False, "price": value,
                      "received_on": clock.today.isoformat()}  # fmt: skip
            clients[people.officer].post(f"/cases/{case_id}/evaluation/tenders", tender, status=201)
            taken.append("tender")
        else:
            clock.advance(7)  # what is offered waits for a date (tenders closing, standstill ending)
    raise AssertionError(f"not handed over after {taken}")


@pytest.mark.parametrize("journey", JOURNEYS)
@pytest.mark.parametrize("starts,value,contract_type,authority", BY_EVERY_DOOR, ids=lambda v: str(v))
def test_every_contract_s_life_runs_its_course_through_the_api(
    api, core, db, clock, starts, value, contract_type, authority, journey
):
    people = hub_people(db, authority=authority)
    contract = contract_on(core, people, starts, value, contract_type, authority)
    ends_at, wanted, new_value, answers = contract_journey(journey, value, clock.today)
    clients = EachPerson([p for p in vars(people).values() if p != people.system], api)
    manager, case_id, taken = clients[people.contract_manager], contract.case_id, []
    for _ in range(60):
        state = manager.get(f"/cases/{case_id}").get_json()["state"]
        made = Decimal(manager.get(f"/contracts/{contract.id}").get_json()["value"])
        if state in ends_at and (journey not in CHANGED_BY or made == new_value):
            return
        offered = _offered(core, clients, case_id, wanted, state, taken)
        if offered:
            person, action = min(
                offered, key=lambda offer: (wanted.index(offer[1]["trigger"]), offer[0] != people.contract_manager)
            )
            _take(clients[person], case_id, action, answers.get(action["trigger"], {}))
            taken.append(f"{state}:{action['trigger']}")
        elif state == "change_notice_pending" and "notice" not in taken:  # its change notice first
            notice = {"kind": "contract_change_notice", "published_on": clock.today.isoformat()}
            manager.post(f"/cases/{case_id}/notices", notice)
            taken.append("notice")
        else:
            clock.advance(30)  # what is offered waits for a date (the end date, a forward plan's days)
    raise AssertionError(f"not {journey} after {taken}")


def _offered(core, clients: EachPerson, case_id: int, moving_on: list[str], state: str, taken: list[str]) -> list:
    """(person, action) for each action ``moving_on`` that someone's `available_actions` list now, nothing
    standing in its way: a decision (approving) as often as a gate asks, anything else once at a state. Only
    the people the engine finds such an action ready for are asked (everyone, every step, would be most of the
    test's time), and the API must list each of them as ready."""
    offered = []
    for person, ready in _ready_for(core, clients, case_id, moving_on).items():
        listed = [action for action in _available(clients[person], case_id) if not action["not_yet"]]
        missing = ready - {action["trigger"] for action in listed}
        assert not missing, f"the API does not list {missing} for {person}, ready as they are"
        offered += [
            (person, action)
            for action in listed
            if (action["trigger"] == "approve" if action["decision"] else action["trigger"] in moving_on)
            and (action["decision"] or f"{state}:{action['trigger']}" not in taken)
        ]
    return offered


def _ready_for(core, clients: EachPerson, case_id: int, moving_on: list[str]) -> dict[int, set[str]]:
    """The actions ``moving_on`` (and approving) the engine finds ready for each person who has one."""
    with core.db.reading() as session:
        case = session.get(Case, case_id)
        ready = {
            person: {
                action.trigger  # a decision: approving it, which may wait where rejecting it need not
                for action in actions_with_obstacles(core, session, case, core.engine.actor(session, person))
                if not action.not_yet
                and (action.trigger == "approve" if action.decision else action.trigger in moving_on)
            }
            for person in clients
        }
    return {person: triggers for person, triggers in ready.items() if triggers}


def _waiting_for(clients: EachPerson, case_id: int, person: int) -> str:
    """What the actions ``person`` may take wait for (their `not_yet`), in one text."""
    return " ".join(reason for action in _available(clients[person], case_id) for reason in action["not_yet"])


def _available(client, case_id: int) -> list[dict]:
    response = client.call("GET", f"/cases/{case_id}")
    return response.get_json()["available_actions"] if response.status_code == 200 else []  # 404: not theirs


def _take(client, case_id: int, action: dict, answers: dict[str, object]) -> None:
    """Send the action with the inputs it lists (those the journey answers), a reason where it needs one."""
    if action["decision"]:
        client.post(f"/approvals/{case_id}/decision", {"outcome": "approve", "declaration": {"has_conflict": False}})
        return
    asked = {spec["name"] for spec in action["inputs"]}
    body = {"trigger": action["trigger"], "inputs": {k: v for k, v in answers.items() if k in asked}}
    if action["reason_required"]:
        body["reason"] = "As the journey goes"
    client.post(f"/cases/{case_id}/actions", body)
