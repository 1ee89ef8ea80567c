"""Every suggestion page answers, for each role, over HTTP."""

from __future__ import annotations

import pytest
from flask import Flask

from suggestions.lifecycle import Status
from tests.groups.conftest import Company, login_as
from tests.suggestions.conftest import review, submit


@pytest.mark.parametrize("person", ["member", "lead", "management", "admin", "outsider"])
def test_every_page_answers(app: Flask, staffed: Company, person: str) -> None:
    named = submit(staffed.member, "Named idea", department=staffed.sales)
    anonymous = submit(None, "Anonymous idea", department=staffed.sales)
    review(staffed.lead, named, Status.ACCEPTED, "Yes.")
    client = login_as(app.test_client(), staffed.person(person))
    for url in [
        "/suggestions/",
        "/suggestions/?sort=votes",
        "/suggestions/?status=accepted&department=company&category=tools",
        "/suggestions/board",
        "/suggestions/new",
        f"/suggestions/{named.id}",
        f"/suggestions/{anonymous.id}",
        "/suggestions/campaigns",
        "/suggestions/receipt",
    ]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    assert client.get("/suggestions/review").status_code == (200 if person in ("lead", "management") else 403)
    assert client.get("/suggestions/123").status_code == 404
