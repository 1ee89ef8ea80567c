"""Every suggestion page answers, for each role, over HTTP."""

from __future__ import annotations

import pytest
from flask import Flask

from intranet.extensions import db
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


@pytest.mark.parametrize(("language", "shown"), [("en", "12,345"), ("nl", "12.345"), ("nb", "12\xa0345")])
def test_vote_counts_are_grouped_the_readers_way(
    app: Flask, staffed: Company, language: str, shown: str
) -> None:
    suggestion = submit(staffed.member, "Popular idea", department=staffed.sales)
    suggestion.vote_count = 12345
    db.session.commit()
    client = login_as(app.test_client(), staffed.member)
    response = client.get("/suggestions/?sort=votes", headers={"Accept-Language": language})
    html = response.get_data(as_text=True)
    assert f"<strong>{shown}</strong>" in html
    assert "<strong>12345</strong>" not in html
