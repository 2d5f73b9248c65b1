"""The Transparency Code files on the web: a council's publishers list the quarters and download each file."""

from __future__ import annotations

from tests.factories import create_user, hub_people
from tests.web.helpers import seed_contracts


def test_an_analyst_downloads_their_councils_files_by_quarter(core, db, browser):
    people = hub_people(db)
    seed_contracts(core, people, 2)  # started 400 days ago, ending in 30 and 60 days: in force this quarter
    analyst = browser(create_user(db, ("intelligence_analyst", "OCC")))
    assert "Transparency Code files" in analyst.get("/contracts/").text
    page = analyst.get("/contracts/transparency").text
    assert "Oxfordshire County Council</caption>" in page and "Cherwell District Council</caption>" not in page
    assert "January to March 2026 (2025/26 quarter 4) (so far)" in page  # the test clock: 2 March 2026
    assert page.count("/contracts/transparency/OCC/") == 16  # 8 quarters, 2 files each
    download = analyst.get("/contracts/transparency/OCC/2026-01/contracts.csv")
    assert download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"] == 'attachment; filename="OCC-contracts-2026-01.csv"'
    lines = download.text.splitlines()
    assert lines[0].startswith("Reference,Title,Department responsible") and len(lines) == 3
    assert analyst.get("/contracts/transparency/OCC/2026-01/tenders.csv").text.startswith("Reference,Title,")


def test_other_people_and_wrong_addresses_get_nothing(core, db, browser):
    people = hub_people(db)
    requester = browser(people.requester)
    requester.get("/contracts/transparency", status=403)
    requester.get("/contracts/transparency/OCC/2026-01/contracts.csv", status=403)
    assert "Transparency Code files" not in requester.get("/contracts/").text
    cherwell = browser(create_user(db, ("intelligence_analyst", "CDC")))
    refused = cherwell.get("/contracts/transparency/OCC/2026-01/contracts.csv", status=403).text
    assert "Only OCC&#39;s intelligence team and its senior officers publish its files" in refused
    cherwell.get("/contracts/transparency/CDC/2026-02/contracts.csv", status=404)
    cherwell.get("/contracts/transparency/CDC/2026-01/spend.csv", status=404)
