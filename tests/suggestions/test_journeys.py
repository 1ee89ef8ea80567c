"""The suggestion box over HTTP as people use it: the demo journey, lists, queue, campaigns, bad input."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from intranet.clock import utcnow
from intranet.extensions import db
from suggestions.lifecycle import Status
from suggestions.models import Campaign, Comment, Suggestion
from tests.conftest import csrf_token, login
from tests.groups.conftest import Company
from tests.groups.test_journeys import Browser
from tests.suggestions.conftest import review, submit

RECEIPT_RE = re.compile(r'<code id="receipt-code">([0-9-]+)</code>')


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def form_post(client: FlaskClient, path: str, data: dict[str, str], form_page: str) -> tuple[int, str]:
    response = client.post(path, data={"csrf_token": csrf_token(client, form_page), **data})
    return response.status_code, response.get_data(as_text=True)


def test_demo_employee_submits_anonymously_and_reads_the_answer_with_the_receipt(app: Flask) -> None:
    assert app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    zoe = app.test_client()
    assert login(zoe, "zoe", "demo").status_code == 302
    with app.app_context():
        engineering = db.session.scalar(
            select(Suggestion.department_id).where(
                Suggestion.title == "Cache dependencies in the CI pipeline"
            )
        )
    status, html = form_post(
        zoe,
        "/suggestions/new",
        {
            "title": "Quiet room for focused work",
            "body": "The open office is loud. One room where nobody talks would help.",
            "target": str(engineering),
            "category": "workplace",
            "identity": "anonymous",
        },
        "/suggestions/new",
    )
    assert status == 200
    receipt = RECEIPT_RE.search(html).group(1)
    assert "shown this once" in text(html)
    with app.app_context():
        suggestion = db.session.scalars(select(Suggestion).where(Suggestion.title.like("Quiet room%"))).one()
        assert suggestion.is_anonymous and suggestion.author_id is None
        sid = suggestion.id
    # The receipt is not on the suggestion's own page, not even for its author.
    assert receipt not in zoe.get(f"/suggestions/{sid}").get_data(as_text=True)

    bjorn = app.test_client()
    assert login(bjorn, "bjorn", "demo").status_code == 302
    queue = bjorn.get("/suggestions/review").get_data(as_text=True)
    assert "Quiet room for focused work" in queue
    page = bjorn.get(f"/suggestions/{sid}").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    status, html = form_post(
        bjorn,
        f"/suggestions/{sid}/status",
        {"status": "under_review", "response": "We will test a quiet room on floor 4.", "version": version},
        f"/suggestions/{sid}",
    )
    assert status == 302, re.findall(r'class="error"[^>]*>([^<]*)', html)
    status, _ = form_post(
        bjorn,
        f"/suggestions/{sid}/comments",
        {"body": "Which hours are the loudest?", "as_question": "1"},
        f"/suggestions/{sid}",
    )
    assert status == 302

    # Later, Zoë opens the receipt: the official response and the question are there.
    status, html = form_post(zoe, "/suggestions/receipt", {"receipt": receipt}, "/suggestions/receipt")
    assert status == 200
    assert "We will test a quiet room on floor 4." in html
    assert "Which hours are the loudest?" in html
    assert "Under review" in text(html)
    status, html = form_post(
        zoe,
        "/suggestions/receipt/answer",
        {"receipt": receipt, "body": "Mornings, between 9 and 11."},
        "/suggestions/receipt",
    )
    assert status == 200
    assert "Mornings, between 9 and 11." in html
    with app.app_context():
        answer = db.session.scalars(select(Comment).where(Comment.body.like("Mornings%"))).one()
        assert answer.author_id is None and answer.kind == "author"
    assert "The author (anonymous)" in bjorn.get(f"/suggestions/{sid}").get_data(as_text=True)
    # A wrong code opens nothing.
    status, html = form_post(
        zoe, "/suggestions/receipt", {"receipt": receipt[:-1] + "0"}, "/suggestions/receipt"
    )
    if receipt.endswith("0"):
        status, html = form_post(
            zoe, "/suggestions/receipt", {"receipt": receipt[:-1] + "1"}, "/suggestions/receipt"
        )
    assert status == 422 and "does not open any suggestion" in html


def test_lists_sort_filter_and_show_waiting_time(app: Flask, staffed: Company) -> None:
    old = submit(staffed.member, "Old idea", department=staffed.sales, category="tools")
    new = submit(staffed.colleague, "New idea", category="process")
    liked = submit(staffed.outsider, "Liked idea", department=staffed.engineering, category="tools")
    db.session.execute(
        update(Suggestion)
        .where(Suggestion.id == old.id)
        .values(submitted_on=utcnow().date() - timedelta(days=40))
    )
    db.session.commit()
    from suggestions import votes

    for person in (staffed.lead, staffed.member, staffed.admin):
        votes.vote(person, liked)
    db.session.commit()
    review(staffed.management, new, Status.ACCEPTED, "Yes.")
    me = Browser(app, staffed.colleague)

    def titles(url: str) -> list[str]:
        return re.findall(r'<h2><a href="/suggestions/\d+">([^<]+)</a></h2>', me.page(url))

    newest = titles("/suggestions/")
    # Same day: the order between them is the random id's, not the order they came in (TRUST.md A6).
    assert sorted(newest[:2]) == ["Liked idea", "New idea"] and newest[2] == "Old idea"
    assert titles("/suggestions/?sort=votes")[0] == "Liked idea"
    assert titles("/suggestions/?sort=oldest")[0] == "Old idea"
    assert titles("/suggestions/?status=accepted") == ["New idea"]
    assert titles(f"/suggestions/?department={staffed.engineering.id}") == ["Liked idea"]
    assert titles("/suggestions/?department=company") == ["New idea"]
    assert sorted(titles("/suggestions/?category=tools")) == ["Liked idea", "Old idea"]
    assert titles("/suggestions/board") == ["New idea"]
    listing = text(me.page("/suggestions/"))
    assert "Waiting for 40 days — overdue (promise: 30 days)" in listing
    assert "Answered after 0 days" in listing
    # Junk in the query string is ignored, never a 500.
    assert me.get("/suggestions/?status=nope&department=x&sort=drop&category=%00&page=-3").status_code == 200


def test_awaiting_queue_is_per_reviewer_with_overdue_first(app: Flask, staffed: Company) -> None:
    recent = submit(staffed.member, "Recent sales idea", department=staffed.sales)
    overdue = submit(staffed.member, "Overdue sales idea", department=staffed.sales)
    answered = submit(staffed.member, "Answered sales idea", department=staffed.sales)
    elsewhere = submit(staffed.outsider, "Engineering idea", department=staffed.engineering)
    company_wide = submit(staffed.outsider, "Company idea")
    db.session.execute(
        update(Suggestion)
        .where(Suggestion.id == overdue.id)
        .values(submitted_on=utcnow().date() - timedelta(days=31))
    )
    db.session.commit()
    review(staffed.lead, answered, Status.UNDER_REVIEW, "Looking at it.")

    def queue(user) -> list[str]:  # noqa: ANN001
        html = Browser(app, user).page("/suggestions/review")
        return re.findall(r'<td><a href="/suggestions/\d+#review">([^<]+)</a></td>', html)

    lead_queue = queue(staffed.lead)
    assert lead_queue == ["Overdue sales idea", "Recent sales idea", "Answered sales idea"]
    assert elsewhere.title not in lead_queue and company_wide.title not in lead_queue
    assert set(queue(staffed.management)) >= {recent.title, elsewhere.title, company_wide.title}
    assert Browser(app, staffed.member).get("/suggestions/review").status_code == 403
    assert "overdue" in Browser(app, staffed.lead).page("/suggestions/review")


def test_campaign_takes_suggestions_until_it_closes(app: Flask, staffed: Company) -> None:
    boss, member = Browser(app, staffed.management), Browser(app, staffed.member)
    assert member.get("/suggestions/campaigns/new").status_code == 403
    closes = (utcnow() + timedelta(days=7)).date().isoformat()
    response = boss.post(
        "/suggestions/campaigns/new",
        {"title": "Where do we waste the most time?", "target": "company", "closes_on": closes},
    )
    assert response.status_code == 302
    campaign = db.session.scalars(select(Campaign)).one()
    answer = {
        "title": "Fewer status meetings",
        "body": "Write the status down instead.",
        "target": "company",
        "category": "process",
        "identity": "named",
        "campaign": str(campaign.id),
    }
    assert member.post("/suggestions/new", answer).status_code == 302
    assert "Fewer status meetings" in member.page(f"/suggestions/campaigns/{campaign.id}")
    assert boss.post(f"/suggestions/campaigns/{campaign.id}/close").status_code == 302
    late = member.post("/suggestions/new", {**answer, "title": "Too late"})
    assert late.status_code == 422
    html = late.get_data(as_text=True)
    assert "is closed" in text(html) and "Too late" in html and "Write the status down instead." in html
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Suggestion)) == 1
    past = (utcnow() - timedelta(days=1)).date().isoformat()
    refused = boss.post(
        "/suggestions/campaigns/new", {"title": "Past", "target": "company", "closes_on": past}
    )
    assert refused.status_code == 422 and "future" in refused.get_data(as_text=True)


def test_bad_input_keeps_the_text_and_wrong_ids_are_404(app: Flask, staffed: Company) -> None:
    me = Browser(app, staffed.member)
    response = me.post(
        "/suggestions/new",
        {
            "title": "  ",
            "body": "My careful description",
            "target": "company",
            "category": "nope",
            "identity": "x",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "My careful description" in html and "Give the suggestion a title." in html
    assert db.session.scalar(select(func.count()).select_from(Suggestion)) == 0
    for url in ("/suggestions/999", "/suggestions/campaigns/999", "/suggestions/999/adoption"):
        assert me.get(url).status_code == 404
    for url in ("/suggestions/999/vote", "/suggestions/999/status", "/suggestions/999/comments"):
        assert me.post(url).status_code == 404
    idea = submit(staffed.colleague, "An idea")
    empty = me.post(f"/suggestions/{idea.id}/comments", {"body": "   "})
    assert empty.status_code == 422 and "the comment is empty" in empty.get_data(as_text=True)
