"""Setting a contract's KPIs and recording an assessment against them, through the forms."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from provision_cycle.models import KpiAssessment, Task
from provision_cycle.scheduling.sweeps import raise_reviews
from provision_cycle.services.performance import kpis_of
from tests.factories import create_user, hub_people, new_request
from tests.test_performance import KPIS, _big


def test_a_contract_manager_sets_the_kpis_then_records_the_yearly_assessment(core, db, browser, clock, schedule):
    people = hub_people(db)
    contract = _big(core, people)
    manager = browser(people.contract_manager)
    page = manager.get(f"/contracts/{contract.id}").text
    assert "This contract needs at least three key performance indicators" in page and "Set the KPIs" in page
    assert "Record a KPI assessment" not in page

    kpis_url = f"/contracts/{contract.id}/kpis"
    form = manager.get(kpis_url).text
    assert "KPI 10" in form and "This contract needs at least three" in form
    page = manager.post(kpis_url, {"kpi_1_name": "Repairs on time", "kpi_2_target": "no name"}, status=400).text
    assert "Name KPI 2, or clear its target too" in page
    page = manager.post(kpis_url, {"kpi_1_name": "Repairs on time"}, status=400).text
    assert "This contract needs at least 3 KPIs" in page
    data = {}
    for n, (name, target) in enumerate(KPIS, start=1):
        data |= {f"kpi_{n}_name": name, f"kpi_{n}_target": target}
    manager.post(kpis_url, data)
    assert "Customer satisfaction" in manager.get(kpis_url).text  # the form shows what is set
    with db.reading() as session:
        kpis = kpis_of(session, contract.id)
    assert [k.name for k in kpis] == [name for name, _ in KPIS]

    clock.set(date(2026, 6, 17))
    raise_reviews(core, schedule, clock.today)
    with db.reading() as session:
        task_id = session.scalar(select(Task.id).where(Task.kind == "kpi_assessment"))
    task_page = manager.get(f"/tasks/{task_id}").text
    assert "Record a KPI assessment" in task_page and "Complete the task" not in task_page

    clock.set(date(2026, 7, 3))
    url = f"/contracts/{contract.id}/kpi-assessment"
    form = manager.get(url).text
    assert "Approaching target" in form and "Performance is significantly below" in form and "Social value" in form
    page = manager.post(url, {"period_starts": ["1", "7", "2025"], "period_ends": ["30", "6", "2026"]}, status=400).text
    assert "Rate the supplier against &#39;Repairs on time&#39;" in page
    assert "Enter the date the contract performance notice was published" in page
    answers = {
        "period_starts": ["1", "7", "2025"],
        "period_ends": ["30", "6", "2026"],
        f"rating_{kpis[0].id}": "good",
        f"rating_{kpis[1].id}": "requires_improvement",
        f"comment_{kpis[1].id}": "Complaints about call handling",
        f"rating_{kpis[2].id}": "other",
        "published_on": ["3", "7", "2026"],
        "notice_id": "045678-2026",
    }
    page = manager.post(url, {**answers, "published_on": ["4", "7", "2026"]}, status=400).text
    assert "The date the notice was published cannot be in the future" in page
    manager.post(url, answers)
    with db.reading() as session:
        assert session.scalars(select(KpiAssessment)).one().notice_id == "045678-2026"
        assert session.get(Task, task_id).status == "done"
    page = manager.get(f"/contracts/{contract.id}").text
    assert "The KPI assessment of" in page and "1 July 2025 to 30 June 2026" in page
    assert "Requires improvement" in page and "Complaints about call handling" in page and "(045678-2026)" in page


def test_only_the_team_and_contract_managers_manage_a_contracts_performance(core, db, browser):
    people = hub_people(db)
    contract = _big(core, people)
    finance = browser(people.finance)
    assert "Set the KPIs" not in finance.get(f"/contracts/{contract.id}").text
    finance.get(f"/contracts/{contract.id}/kpis", status=404)
    finance.get(f"/contracts/{contract.id}/kpi-assessment", status=404)
    browser(create_user(db, ("contract_manager", "CDC", "cnc"))).get(f"/contracts/{contract.id}/kpis", status=404)
    # No KPIs yet: the assessment form sends them to set them first.
    officer = browser(people.officer)
    assert officer.get(f"/contracts/{contract.id}/kpi-assessment", status=302).headers["Location"].endswith("/kpis")


def test_the_procurement_team_sets_the_contracts_kpis_before_signing(core, db, browser, clock):
    from tests.factories import act, award_open_procedure

    people = hub_people(db)
    case_id = award_open_procedure(core.engine, clock, people, value="5000000", award_value="5000000")
    officer = browser(people.officer)
    page = officer.get(f"/cases/{case_id}").text
    assert "None set yet. A public contract worth more than £5 million needs at least three" in page
    assert f"/cases/{case_id}/kpis" in page
    clock.set(date(2026, 4, 21))
    act(core.engine, case_id, "end_standstill", people.officer)
    assert (
        "Set at least 3 KPIs on the case before the contract is entered into" in officer.get(f"/cases/{case_id}").text
    )

    url = f"/cases/{case_id}/kpis"
    assert "could not appropriately be assessed" in officer.get(url).text
    page = officer.post(url, {"kpi_1_name": "Repairs on time"}, status=400).text
    assert "This contract needs at least 3 KPIs (PA23 s52)" in page
    data = {}
    for n, (name, target) in enumerate(KPIS, start=1):
        data |= {f"kpi_{n}_name": name, f"kpi_{n}_target": target}
    assert officer.post(url, data).headers["Location"].endswith(f"/cases/{case_id}#kpis")
    page = officer.get(f"/cases/{case_id}").text
    assert "Customer satisfaction" in page and "Change the KPIs" in page
    assert "Set at least 3 KPIs" not in page
    browser(people.finance).get(url, status=404)  # not on the procurement's team


def test_a_commissioned_procurement_s_kpis_are_set_beside_the_outcomes_its_business_case_set_out(core, db, browser):
    from tests.factories import BUSINESS_CASE, act, approve_gate, commissioning_at_its_gate

    people = hub_people(db)
    need = commissioning_at_its_gate(core.engine, people.requester, value="80000")  # the category manager's
    approve_gate(core.engine, need, [people.manager])
    [procurement] = act(core.engine, need, "hand_to_procurement", people.requester).opened_cases
    page = browser(people.officer).get(f"/cases/{procurement}/kpis").text
    assert "The outcomes its business case set out" in page and BUSINESS_CASE["outcomes"] in page
    assert f'href="/cases/{need}#business-case"' in page
    alone = new_request(core.engine, people.requester)  # not commissioned here: nothing to show
    assert "The outcomes its business case set out" not in browser(people.officer).get(f"/cases/{alone}/kpis").text


def test_a_problem_is_shown_on_the_row_it_is_in(core, db, browser):
    people = hub_people(db)
    contract = _big(core, people)
    data = {"kpi_1_name": "Repairs on time", "kpi_2_name": "Customer satisfaction", "kpi_5_target": "no name"}
    page = browser(people.contract_manager).post(f"/contracts/{contract.id}/kpis", data, status=400).text
    assert "Name KPI 5, or clear its target too" in page
    assert re.search(r'id="kpi_5_name-error"[^>]*>.*?Name KPI 5', page, re.S)
