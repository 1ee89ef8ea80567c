"""The status workflow: services, then over HTTP as reviewers and authors click it.

Every person has their own browser (each request in an app context of its own,
as in production); the test reads the database afresh after each request.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from intranet.extensions import db
from intranet.models import User
from intranet.notifications import Notification
from suggestions import votes, workflow
from suggestions.lifecycle import InvalidTransition, Status
from suggestions.models import Adoption, Comment, Follow, StatusChange, Suggestion
from suggestions.services import SuggestionRuleError, add_comment, comments_of
from tests.groups.conftest import Company, login_as, post_form
from tests.suggestions.conftest import review, submit

# --- helpers -------------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """The forms of a page as a browser would send them: {action: {field: value}}."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, dict[str, str]] = {}
        self._form: dict[str, str] | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = self.forms.setdefault(a.get("action", ""), {})
        elif self._form is None or "name" not in a and tag != "option":
            return
        elif tag == "input" and a.get("type") not in ("submit", "button"):
            self._form[a["name"]] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form[a["name"]] = ""
        elif tag == "select":
            self._select = a["name"]
        elif (
            tag == "option"
            and self._select is not None
            and (self._select not in self._form or "selected" in a)
        ):
            self._form[self._select] = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea is not None:
            self._form[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._form is not None and self._textarea is not None:
            # Browsers drop the newline that follows <textarea>.
            text = self._form[self._textarea]
            self._form[self._textarea] = text.removeprefix("\r").removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None


def forms_of(html: str) -> dict[str, dict[str, str]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


class Browser:
    """One person's browser; each request in an app context of its own (see tests/groups/test_journeys)."""

    def __init__(self, app: Flask, user: User) -> None:
        self.app, self.client = app, login_as(app.test_client(), user)

    def get(self, url: str) -> TestResponse:
        with self.app.app_context():
            return self.client.get(url)

    def post(self, url: str, data: dict[str, Any] | None = None) -> TestResponse:
        """A POST without loading the page first (a stale tab, a crafted request)."""
        with self.app.app_context():
            return post_form(self.client, url, data, form_page="/suggestions/new")

    def page(self, url: str) -> str:
        response = self.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)

    def form(self, url: str, action: str) -> dict[str, str]:
        """Load ``url`` and return the form posting to ``action``, filled in as shown."""
        forms = forms_of(self.page(url))
        assert action in forms, (action, list(forms))
        return forms[action]

    def send(self, action: str, form: dict[str, str], **changes: str) -> TestResponse:
        with self.app.app_context():
            return self.client.post(action, data={**form, **changes})


def status_url(s: Suggestion) -> str:
    return f"/suggestions/{s.id}/status"


def change(browser: Browser, s: Suggestion, status: str, response: str, **fields: str) -> TestResponse:
    """Load the suggestion's page and send its review form, as a reviewer would."""
    form = browser.form(f"/suggestions/{s.id}", status_url(s))
    return browser.send(status_url(s), form, status=status, response=response, **fields)


def fresh(s: Suggestion) -> Suggestion:
    db.session.expire_all()
    return db.session.get(Suggestion, s.id)


def trail_of(s: Suggestion) -> list[tuple[str, str, int | None, str]]:
    """The audit trail in the order the page shows it: (from, to, actor id, response)."""
    db.session.expire_all()
    rows = workflow.trail(db.session.get(Suggestion, s.id))
    return [(r.from_status.value, r.to_status.value, r.actor_id, r.response) for r in rows]


def notified(kind: str | None = None, suggestion: Suggestion | None = None) -> dict[int, int]:
    """user id -> how many suggestion notifications (of ``kind``, about ``suggestion``) they have."""
    db.session.expire_all()
    query = select(Notification.user_id, func.count()).where(Notification.kind.like("suggestions.%"))
    if kind:
        query = query.where(Notification.kind == kind)
    if suggestion is not None:
        query = query.where(Notification.link.like(f"/suggestions/{suggestion.id}%"))
    return dict(db.session.execute(query.group_by(Notification.user_id)).all())


def person(username: str) -> User:
    return db.session.scalars(select(User).where(User.username == username)).one()


def text_of(html: str) -> str:
    """The page as words: tags dropped, entities decoded, white space collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def vote_for(user: User, s: Suggestion) -> None:
    votes.vote(user, db.session.get(Suggestion, s.id))
    db.session.commit()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The workflow's clock, moved by the test (the app's clock is replaceable: intranet.clock)."""
    c = Clock()
    monkeypatch.setattr(workflow, "utcnow", c)
    return c


# --- the way through -----------------------------------------------------------------------------


def test_submitted_to_adopted_over_http(app: Flask, staffed: Company, clock: Clock) -> None:
    c = staffed
    idea = submit(c.member, "Refill the coffee machine at nine", department=c.sales)
    lead, boss = Browser(app, c.lead), Browser(app, c.management)
    author, follower = Browser(app, c.member), Browser(app, c.colleague)
    for browser in (author, follower, lead):  # the author and a reviewer follow too
        assert browser.post(f"/suggestions/{idea.id}/follow", {"follow": "1"}).status_code == 302
    assert fresh(idea).first_response_at is None

    t1 = clock.advance(days=2)
    assert change(lead, idea, "under_review", "We are looking at it.").status_code == 302
    s = fresh(idea)
    assert (s.status, s.first_response_at, s.decided_at) == (Status.UNDER_REVIEW, t1, None)

    clock.advance(days=3)
    assert change(lead, idea, "same", "We asked the supplier for a second machine.").status_code == 302
    s = fresh(idea)
    assert (s.status, s.first_response_at, s.decided_at) == (Status.UNDER_REVIEW, t1, None)

    t3 = clock.advance(days=1)
    assert change(boss, idea, "accepted", "Yes: we do it.").status_code == 302
    s = fresh(idea)
    assert (s.status, s.first_response_at, s.decided_at, s.adopted_on) == (Status.ACCEPTED, t1, t3, None)

    t4 = clock.advance(days=30)
    adopted = {
        "what_was_done": "A second machine on floor 2, refilled at nine and at two.",
        "responsible": str(c.engineering.id),
        "estimated_money": "1200.50",
        "estimated_hours": "40",
        "benefit_notes": "Fewer trips to the café.",
    }
    assert change(lead, idea, "adopted", "Done: enjoy.", **adopted).status_code == 302
    s = fresh(idea)
    assert (s.status, s.first_response_at, s.adopted_on) == (Status.ADOPTED, t1, t4.date())
    assert s.decided_at is not None and s.decided_at >= t3

    # Every change and response is in the audit trail, with who made it.
    assert trail_of(idea) == [
        ("submitted", "under_review", c.lead.id, "We are looking at it."),
        ("under_review", "under_review", c.lead.id, "We asked the supplier for a second machine."),
        ("under_review", "accepted", c.management.id, "Yes: we do it."),
        ("accepted", "adopted", c.lead.id, "Done: enjoy."),
    ]
    record = db.session.get(Adoption, idea.id)
    assert (record.what_was_done, record.department_id, record.recorded_by_id) == (
        adopted["what_was_done"],
        c.engineering.id,
        c.lead.id,
    )
    assert (record.estimated_money, record.estimated_hours) == (Decimal("1200.50"), Decimal("40"))
    assert (record.actual_money, record.actual_hours) == (None, None)
    assert record.benefit_notes == "Fewer trips to the café."

    # Everyone reads the responses, the record and whom to credit.
    page = text_of(follower.page(f"/suggestions/{idea.id}"))
    for words in ("We asked the supplier for a second machine.", "Yes: we do it.", adopted["what_was_done"]):
        assert words in page
    assert "Credit Member Tester" in page and "Responsible Engineering" in page and "1200.50" in page
    assert "Update the adoption record" not in page

    # Months later, the actual benefits: the form shows what is recorded, and saves the update.
    form = lead.form(f"/suggestions/{idea.id}/adoption", "")
    assert form["what_was_done"] == adopted["what_was_done"]
    assert (form["responsible"], form["estimated_money"]) == (str(c.engineering.id), "1200.50")
    response = lead.send(f"/suggestions/{idea.id}/adoption", form, actual_money="1500", actual_hours="52.5")
    assert response.status_code == 302
    db.session.expire_all()
    record = db.session.get(Adoption, idea.id)
    assert (record.actual_money, record.actual_hours) == (Decimal("1500"), Decimal("52.5"))
    assert (record.estimated_money, record.department_id) == (Decimal("1200.50"), c.engineering.id)
    assert "1500.00" in follower.page(f"/suggestions/{idea.id}")

    # The author and the followers heard of each change once; the acting reviewer never of their own.
    assert notified("suggestions.status") == {c.member.id: 3, c.colleague.id: 3, c.lead.id: 1}
    assert notified("suggestions.response") == {c.member.id: 1, c.colleague.id: 1}
    db.session.expire_all()
    texts = [
        n.text
        for n in db.session.scalars(
            select(Notification).where(Notification.user_id == c.colleague.id).order_by(Notification.id)
        )
    ]
    assert texts[-1] == "“Refill the coffee machine at nine” is now Adopted. Read the official response."
    assert "There is an official response to “Refill the coffee machine at nine”." in texts


def test_a_response_without_a_change_is_the_first_response(company: Company, clock: Clock) -> None:
    idea = submit(company.member, department=company.sales)
    t1 = clock.now
    review(company.lead, idea, idea.status, "Thanks, we will look at it next week.")
    assert (idea.status, idea.first_response_at, idea.decided_at) == (Status.SUBMITTED, t1, None)
    t2 = clock.advance(days=7)
    review(company.lead, idea, Status.DECLINED, "We tried this in 2019.")
    assert (idea.first_response_at, idea.decided_at) == (t1, t2)
    assert idea.status_version == 3


def test_decline_without_a_reason_is_refused(app: Flask, company: Company) -> None:
    idea = submit(company.member, department=company.sales)
    db.session.add(Follow(suggestion_id=idea.id, user_id=company.colleague.id))
    db.session.commit()

    with pytest.raises(SuggestionRuleError) as refused:
        workflow.change_status(company.lead, idea, Status.DECLINED, "  \n ", expected_version=1)
    assert str(refused.value) == "Write the reason: it is shown to everyone."
    db.session.rollback()

    response = change(Browser(app, company.lead), idea, "declined", "   ")
    assert response.status_code == 422
    assert "Write the official response: it is shown to everyone." in text_of(response.get_data(as_text=True))
    s = fresh(idea)
    assert (s.status, s.status_version, s.first_response_at, s.decided_at) == (
        Status.SUBMITTED,
        1,
        None,
        None,
    )
    assert trail_of(idea) == [] and notified() == {}


def test_adoption_without_what_was_done_is_refused(app: Flask, company: Company) -> None:
    idea = submit(company.member, department=company.sales)
    review(company.lead, idea, Status.ACCEPTED, "Yes.")
    version = idea.status_version
    for adoption in (None, workflow.AdoptionData(what_was_done="  ")):
        with pytest.raises(SuggestionRuleError) as refused:
            workflow.change_status(
                company.lead, idea, Status.ADOPTED, "Done.", expected_version=version, adoption=adoption
            )
        assert "Say what was done" in str(refused.value)
        db.session.rollback()

    response = change(Browser(app, company.lead), idea, "adopted", "Done.", what_was_done=" ")
    assert response.status_code == 422
    assert "Say what was done: adoption needs a record." in text_of(response.get_data(as_text=True))
    s = fresh(idea)
    assert (s.status, s.status_version, s.adopted_on) == (Status.ACCEPTED, version, None)
    assert db.session.get(Adoption, idea.id) is None and len(trail_of(idea)) == 1


def test_adoption_record_is_the_reviewers_to_edit(app: Flask, company: Company) -> None:
    idea = submit(company.member, department=company.sales)
    accepted = submit(company.member, "Accepted only", department=company.sales)
    review(company.lead, accepted, Status.ACCEPTED, "Yes.")
    review(company.lead, idea, Status.ACCEPTED, "Yes.")
    review(company.lead, idea, Status.ADOPTED, "Done.", adoption=workflow.AdoptionData("A new machine."))
    record = db.session.get(Adoption, idea.id)
    assert record.department_id == company.sales.id  # the target department unless another is named

    url = f"/suggestions/{idea.id}/adoption"
    for who in (company.member, company.colleague, company.other_lead, company.admin):
        assert Browser(app, who).get(url).status_code == 403, who.username
        assert Browser(app, who).post(url, {"what_was_done": "Hacked"}).status_code == 403
    lead = Browser(app, company.lead)
    assert lead.get(f"/suggestions/{accepted.id}/adoption").status_code == 403  # not adopted yet

    form = lead.form(url, "")
    assert lead.send(url, form, what_was_done="  ").status_code == 422
    assert lead.send(url, form, estimated_money="-5").status_code == 422
    db.session.expire_all()
    assert db.session.get(Adoption, idea.id).what_was_done == "A new machine."
    boss = Browser(app, company.management)
    form = boss.form(url, "")
    assert form["what_was_done"] == "A new machine."
    assert boss.send(url, form, benefit_notes="Happier mornings.").status_code == 302
    db.session.expire_all()
    record = db.session.get(Adoption, idea.id)
    assert (record.benefit_notes, record.recorded_by_id) == ("Happier mornings.", company.management.id)


def test_an_anonymous_suggestion_notifies_only_its_followers(app: Flask, staffed: Company) -> None:
    idea = submit(None, "Anonymous idea", department=staffed.sales)
    seller = person("seller0")
    for who in (staffed.colleague, seller):
        assert Browser(app, who).post(f"/suggestions/{idea.id}/follow", {"follow": "1"}).status_code == 302
    assert Browser(app, seller).post(f"/suggestions/{idea.id}/follow", {"follow": "0"}).status_code == 302

    assert change(Browser(app, staffed.lead), idea, "accepted", "Good idea.").status_code == 302
    assert change(Browser(app, staffed.lead), idea, "same", "Budget approved.").status_code == 302
    assert notified() == {staffed.colleague.id: 2}
    assert notified("suggestions.status", idea) == {staffed.colleague.id: 1}
    assert "Anonymous" in text_of(Browser(app, staffed.colleague).page(f"/suggestions/{idea.id}"))


def test_a_status_change_with_nobody_to_tell_writes_no_notification(company: Company) -> None:
    idea = submit(None, "Company-wide, anonymous")
    review(company.management, idea, Status.UNDER_REVIEW, "Looking.")
    assert notified() == {}


# --- who reviews ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "company_wide", "allowed"),
    [
        ("management", False, True),
        ("lead", False, True),
        ("other_lead", False, False),
        ("member", False, False),  # the author too
        ("colleague", False, False),
        ("admin", False, False),
        ("management", True, True),
        ("lead", True, False),
        ("other_lead", True, False),
        ("admin", True, False),
    ],
)
def test_who_may_change_a_status(
    app: Flask, company: Company, who: str, company_wide: bool, allowed: bool
) -> None:
    idea = submit(company.member, department=None if company_wide else company.sales)
    browser = Browser(app, company.person(who))
    page = browser.page(f"/suggestions/{idea.id}")
    assert ("Review: status and official response" in page) is allowed
    assert (status_url(idea) in page) is allowed

    data = {"status": "under_review", "response": "Looking.", "version": "1", "responsible": ""}
    response = browser.post(status_url(idea), data)
    assert response.status_code == (302 if allowed else 403)
    s = fresh(idea)
    assert s.status == (Status.UNDER_REVIEW if allowed else Status.SUBMITTED)
    assert trail_of(idea) == (
        [("submitted", "under_review", company.person(who).id, "Looking.")] if allowed else []
    )
    assert (
        browser.post(f"/suggestions/{idea.id}/not-duplicate", {"response": "x", "version": "2"}).status_code
        == 403
    )


# --- bad input -----------------------------------------------------------------------------------


def _adopted(company: Company) -> Suggestion:
    idea = submit(company.member, department=company.sales)
    review(company.lead, idea, Status.ACCEPTED, "Yes.")
    review(company.lead, idea, Status.ADOPTED, "Done.", adoption=workflow.AdoptionData("Done it."))
    return idea


@pytest.mark.parametrize(
    ("start", "target", "message"),
    [
        ("adopted", "submitted", "A suggestion cannot go from Adopted to Submitted."),
        ("adopted", "declined", "A suggestion cannot go from Adopted to Declined."),
        ("declined", "accepted", "A suggestion cannot go from Declined to Accepted."),
        ("submitted", "adopted", "A suggestion cannot go from Submitted to Adopted."),
        ("submitted", "withdrawn", "A suggestion cannot go from Submitted to Withdrawn."),
        # Nothing more can happen: the page says so instead of offering a form.
        ("withdrawn", "under_review", "This suggestion is Withdrawn; its status can no longer change."),
        ("withdrawn", "same", "This suggestion is Withdrawn; its status can no longer change."),
        ("submitted", "approved", "Not a valid choice"),
    ],
)
def test_an_invalid_transition_is_answered_in_words(
    app: Flask, company: Company, start: str, target: str, message: str
) -> None:
    if start == "adopted":
        idea = _adopted(company)
    else:
        idea = submit(company.member, department=company.sales)
        if start == "declined":
            review(company.lead, idea, Status.DECLINED, "No.")
        elif start == "withdrawn":
            workflow.withdraw(idea, "", author=company.member, expected_version=1)
            db.session.commit()
    before = (fresh(idea).status, fresh(idea).status_version, len(trail_of(idea)), notified())

    data = {
        "status": target,
        "response": "Back to the start.",
        "version": str(idea.status_version),
        "what_was_done": "Something",
        "responsible": "",
    }
    response = Browser(app, company.management).post(status_url(idea), data)
    assert response.status_code == 422
    html = text_of(response.get_data(as_text=True))
    assert message in html
    if start != "withdrawn":
        assert "Back to the start." in html  # the response is kept for another try
    s = fresh(idea)
    assert (s.status, s.status_version, len(trail_of(idea)), notified()) == before


def test_the_service_refuses_invalid_transitions_too(company: Company) -> None:
    idea = _adopted(company)
    with pytest.raises(InvalidTransition) as refused:
        workflow.change_status(
            company.lead, idea, Status.SUBMITTED, "Again.", expected_version=idea.status_version
        )
    assert workflow.explain(refused.value) == "This suggestion is Adopted; its status can no longer change."
    db.session.rollback()
    # An official response on an adopted suggestion is still possible.
    review(company.lead, idea, Status.ADOPTED, "Actual savings are in.")
    assert fresh(idea).status == Status.ADOPTED and len(trail_of(idea)) == 3


@pytest.mark.parametrize("version", ["abc", "-1", "²"])
@pytest.mark.parametrize("action", ["status", "not-duplicate", "withdraw"])
def test_a_tampered_version_is_refused_not_a_crash(
    app: Flask, company: Company, action: str, version: str
) -> None:
    """The version is a hidden field, but anything can be posted: it must never be a 500."""
    original = submit(company.colleague, "Original", department=company.sales)
    idea = submit(company.member, department=company.sales)
    if action == "not-duplicate":
        review(company.lead, idea, Status.DUPLICATE, "Same.", duplicate_of=original)
    before = (fresh(idea).status, fresh(idea).status_version, trail_of(idea))
    who = company.member if action == "withdraw" else company.lead
    data = {"status": "accepted", "response": "Yes.", "version": version, "responsible": "", "note": ""}
    response = Browser(app, who).post(f"/suggestions/{idea.id}/{action}", data)
    # The withdrawal form answers a bad form with a message on the page it redirects to.
    assert response.status_code in ((302,) if action == "withdraw" else (409, 422))
    s = fresh(idea)
    assert (s.status, s.status_version, trail_of(idea)) == before


@pytest.mark.parametrize(
    ("original", "message"),
    [
        ("abc", "Give the number of the original suggestion."),
        ("", "Give the number of the original suggestion."),
        ("12", "There is no suggestion with that number."),
        ("99999999999999999999", "There is no suggestion with that number."),  # beyond any id
        ("²", "Give the number of the original suggestion."),
    ],
)
def test_a_bad_original_number_is_refused_in_words(
    app: Flask, company: Company, original: str, message: str
) -> None:
    idea = submit(company.member, department=company.sales)
    response = change(
        Browser(app, company.lead), idea, "duplicate", "Same as another.", duplicate_of=original
    )
    assert response.status_code == 422
    assert message in text_of(response.get_data(as_text=True))
    assert fresh(idea).status == Status.SUBMITTED and trail_of(idea) == []


def test_two_reviewers_at_once_the_second_is_told_and_keeps_the_text(app: Flask, company: Company) -> None:
    idea = submit(company.member, department=company.sales)
    lead, boss = Browser(app, company.lead), Browser(app, company.management)
    url = f"/suggestions/{idea.id}"
    lead_form, boss_form = lead.form(url, status_url(idea)), boss.form(url, status_url(idea))
    assert lead_form["version"] == boss_form["version"] == "1"

    assert (
        lead.send(status_url(idea), lead_form, status="accepted", response="Yes, next month.").status_code
        == 302
    )
    reason = "Not in this year's budget; ask again in January."
    response = boss.send(status_url(idea), boss_form, status="declined", response=reason)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed this suggestion while you were writing: it is now “Accepted”." in text_of(
        html
    )
    again = forms_of(html)[status_url(idea)]
    assert again["response"] == reason  # kept, not lost
    assert again["version"] == "2"  # and the form now knows the new version
    s = fresh(idea)
    assert (s.status, s.status_version) == (Status.ACCEPTED, 2)
    assert trail_of(idea) == [("submitted", "accepted", company.lead.id, "Yes, next month.")]

    # Sent again from the refreshed form, it goes through.
    assert boss.send(status_url(idea), again, status="declined").status_code == 302
    assert fresh(idea).status == Status.DECLINED
    assert trail_of(idea)[-1] == ("accepted", "declined", company.management.id, reason)


def test_a_choice_gone_since_another_reviewer_changed_it_is_a_conflict(app: Flask, company: Company) -> None:
    """Declined by one reviewer while the other chose "accepted" (not allowed from declined): told why."""
    idea = submit(company.member, department=company.sales)
    lead, boss = Browser(app, company.lead), Browser(app, company.management)
    url = f"/suggestions/{idea.id}"
    lead_form, boss_form = lead.form(url, status_url(idea)), boss.form(url, status_url(idea))
    assert lead.send(status_url(idea), lead_form, status="declined", response="No budget.").status_code == 302

    response = boss.send(status_url(idea), boss_form, status="accepted", response="Yes, let us do it.")

    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else changed this suggestion while you were writing: it is now “Declined”." in text_of(
        html
    )
    assert forms_of(html)[status_url(idea)]["response"] == "Yes, let us do it."
    assert trail_of(idea) == [("submitted", "declined", company.lead.id, "No budget.")]


def test_the_service_raises_a_conflict_on_a_stale_version(company: Company) -> None:
    idea = submit(company.member, department=company.sales)
    review(company.lead, idea, Status.UNDER_REVIEW, "Looking.")
    with pytest.raises(workflow.StatusConflict):
        workflow.change_status(company.management, idea, Status.ACCEPTED, "Yes.", expected_version=1)
    db.session.rollback()
    s = fresh(idea)
    assert (s.status, s.status_version, len(trail_of(idea))) == (Status.UNDER_REVIEW, 2, 1)


# --- duplicates ----------------------------------------------------------------------------------


def test_duplicate_merges_votes_and_comments_and_undo_restores_them(app: Flask, staffed: Company) -> None:
    c = staffed
    original = submit(c.member, "Coffee machine refills", department=c.sales)
    dup = submit(c.colleague, "Coffee is always empty", department=c.sales)
    review(c.lead, dup, Status.UNDER_REVIEW, "Looking.")
    both, dup_only, original_only = person("seller0"), person("seller1"), person("seller2")
    for user, targets in ((both, (original, dup)), (dup_only, (dup,)), (original_only, (original,))):
        for target in targets:
            vote_for(user, target)
    add_comment(c.outsider, db.session.get(Suggestion, dup.id), "Floor 3 too!")
    db.session.commit()
    assert (fresh(original).vote_count, fresh(dup).vote_count) == (2, 2)

    lead = Browser(app, c.lead)
    response = change(lead, dup, "duplicate", "Same idea as the refills one.", duplicate_of=str(original.id))
    assert response.status_code == 302
    d = fresh(dup)
    assert (d.status, d.duplicate_of_id) == (Status.DUPLICATE, original.id)
    assert fresh(original).vote_count == 3  # both, dup_only, original_only: the double voter once
    (marked,) = [
        r
        for r in db.session.scalars(select(StatusChange).where(StatusChange.suggestion_id == dup.id))
        if r.to_status == Status.DUPLICATE
    ]
    assert (marked.from_status, marked.duplicate_of_id) == (Status.UNDER_REVIEW, original.id)

    reader = Browser(app, c.outsider)
    page = text_of(reader.page(f"/suggestions/{original.id}"))
    assert "Floor 3 too!" in page and "From a duplicate" in page and "Merged into this one" in page
    assert "3 votes" in page
    assert "This is a duplicate of Coffee machine refills" in text_of(reader.page(f"/suggestions/{dup.id}"))

    # Voting on the original again changes nothing for someone already counted through the duplicate.
    assert Browser(app, dup_only).post(f"/suggestions/{original.id}/vote", {"vote": "1"}).status_code == 302
    assert fresh(original).vote_count == 3
    assert Browser(app, dup_only).post(f"/suggestions/{original.id}/vote", {"vote": "0"}).status_code == 302
    assert fresh(original).vote_count == 3  # still counted through the duplicate
    # The duplicate is closed to votes and comments.
    assert Browser(app, c.outsider).post(f"/suggestions/{dup.id}/vote", {"vote": "1"}).status_code == 403
    assert Browser(app, c.outsider).post(f"/suggestions/{dup.id}/comments", {"body": "Hi"}).status_code == 403

    # Not a duplicate after all.
    form = lead.form(f"/suggestions/{dup.id}", f"/suggestions/{dup.id}/not-duplicate")
    assert lead.send(f"/suggestions/{dup.id}/not-duplicate", form, response="").status_code == 422
    assert fresh(dup).status == Status.DUPLICATE
    response = lead.send(
        f"/suggestions/{dup.id}/not-duplicate", form, response="Different floors, different fix."
    )
    assert response.status_code == 302
    d = fresh(dup)
    assert (d.status, d.duplicate_of_id, d.vote_count) == (Status.UNDER_REVIEW, None, 2)
    assert fresh(original).vote_count == 2
    assert trail_of(dup)[-1] == ("duplicate", "under_review", c.lead.id, "Different floors, different fix.")
    assert "Floor 3 too!" not in reader.page(f"/suggestions/{original.id}")
    assert "Floor 3 too!" in reader.page(f"/suggestions/{dup.id}")
    assert lead.send(f"/suggestions/{dup.id}/not-duplicate", form, response="Again").status_code == 403


def test_undo_returns_a_duplicate_to_submitted_when_it_was_submitted(company: Company) -> None:
    original, dup = submit(company.member, "A"), submit(company.colleague, "B")
    review(company.management, dup, Status.DUPLICATE, "Same.", duplicate_of=original)
    workflow.undo_duplicate(company.management, dup, "Not the same.", expected_version=dup.status_version)
    db.session.commit()
    assert (fresh(dup).status, fresh(dup).duplicate_of_id) == (Status.SUBMITTED, None)
    with pytest.raises(SuggestionRuleError):
        workflow.undo_duplicate(company.management, dup, "Again.", expected_version=dup.status_version)


def test_a_duplicate_of_a_duplicate_points_at_the_root(app: Flask, company: Company) -> None:
    root, middle, last = (
        submit(company.member, t, department=company.sales) for t in ("Root", "Middle", "Last")
    )
    review(company.lead, middle, Status.DUPLICATE, "Same as Root.", duplicate_of=root)
    for user, target in ((company.colleague, root), (company.outsider, middle), (company.admin, last)):
        vote_for(user, target)

    response = change(
        Browser(app, company.lead), last, "duplicate", "Same as Middle.", duplicate_of=str(middle.id)
    )
    assert response.status_code == 302
    assert fresh(last).duplicate_of_id == root.id
    change_row = db.session.scalars(select(StatusChange).where(StatusChange.suggestion_id == last.id)).one()
    assert change_row.duplicate_of_id == root.id
    assert fresh(root).vote_count == 3


def test_a_suggestion_cannot_duplicate_itself(app: Flask, company: Company) -> None:
    a, b = (
        submit(company.member, "A", department=company.sales),
        submit(company.member, "B", department=company.sales),
    )
    lead = Browser(app, company.lead)
    response = change(lead, a, "duplicate", "Same.", duplicate_of=str(a.id))
    assert response.status_code == 422
    assert "A suggestion cannot duplicate itself." in text_of(response.get_data(as_text=True))
    assert fresh(a).status == Status.SUBMITTED

    # Nor, through its own duplicate, go round in a circle.
    review(company.lead, b, Status.DUPLICATE, "Same as A.", duplicate_of=a)
    response = change(lead, a, "duplicate", "Same as B.", duplicate_of=str(b.id))
    assert response.status_code == 422
    assert "A suggestion cannot duplicate itself." in text_of(response.get_data(as_text=True))
    assert fresh(a).status == Status.SUBMITTED and trail_of(a) == []
    with pytest.raises(SuggestionRuleError):
        workflow.change_status(
            company.lead, a, Status.DUPLICATE, "Same.", expected_version=1, duplicate_of=None
        )


def test_a_withdrawn_suggestion_is_no_original(company: Company) -> None:
    gone, idea = submit(company.member, "Gone"), submit(company.colleague, "Idea")
    workflow.withdraw(gone, "", author=company.member, expected_version=1)
    db.session.commit()
    with pytest.raises(SuggestionRuleError, match="withdrawn"):
        workflow.change_status(
            company.management, idea, Status.DUPLICATE, "Same.", expected_version=1, duplicate_of=gone
        )


def test_merging_an_original_that_has_duplicates_keeps_every_vote(company: Company) -> None:
    """B was merged into A; then A turns out to duplicate X. B's voters and comments must reach X."""
    c = company
    x, a, b = (submit(c.member, t, department=c.sales) for t in ("X", "A", "B"))
    for user, target in ((c.colleague, x), (c.outsider, a), (c.admin, b)):
        vote_for(user, target)
    add_comment(c.outsider, db.session.get(Suggestion, b.id), "From B.")
    db.session.commit()
    review(c.lead, b, Status.DUPLICATE, "Same as A.", duplicate_of=a)
    assert fresh(a).vote_count == 2

    review(c.lead, a, Status.DUPLICATE, "Same as X.", duplicate_of=db.session.get(Suggestion, x.id))
    merged = fresh(x)
    counted = (merged.vote_count, [comment.body for comment in comments_of(merged)])
    assert counted == (3, ["From B."])  # colleague, outsider and admin, each once; B's comment shows on X


# --- withdrawal ----------------------------------------------------------------------------------


def test_the_named_author_withdraws_and_then_is_done(app: Flask, company: Company) -> None:
    idea = submit(company.member, department=company.sales)
    review(company.lead, idea, Status.UNDER_REVIEW, "Looking.")
    db.session.add(Follow(suggestion_id=idea.id, user_id=company.lead.id))
    db.session.commit()
    url = f"/suggestions/{idea.id}/withdraw"
    for who in ("colleague", "lead", "management", "admin", "other_lead"):
        browser = Browser(app, company.person(who))
        assert "Withdraw your suggestion" not in browser.page(f"/suggestions/{idea.id}")
        assert browser.post(url, {"version": "2", "note": "Not mine."}).status_code == 403, who
    assert fresh(idea).status == Status.UNDER_REVIEW

    author = Browser(app, company.member)
    form = author.form(f"/suggestions/{idea.id}", url)
    assert form["version"] == "2"
    before = notified("suggestions.status")
    assert author.send(url, form, note="Solved itself.").status_code == 302
    s = fresh(idea)
    assert (s.status, s.status_version) == (Status.WITHDRAWN, 3)
    assert trail_of(idea)[-1] == ("under_review", "withdrawn", company.member.id, "Solved itself.")
    # The follower hears of it; the author, who did it, does not.
    assert notified("suggestions.status") == {**before, company.lead.id: before.get(company.lead.id, 0) + 1}

    assert author.post(f"/suggestions/{idea.id}/vote", {"vote": "1"}).status_code == 403
    assert author.post(f"/suggestions/{idea.id}/comments", {"body": "One more thing"}).status_code == 403
    assert author.send(url, form).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0
    assert fresh(idea).vote_count == 0
    page = author.page(f"/suggestions/{idea.id}")
    assert "Withdraw your suggestion" not in page and "Vote for this" not in page


def test_the_author_cannot_withdraw_once_decided(app: Flask, company: Company) -> None:
    idea = submit(company.member, department=company.sales)
    review(company.lead, idea, Status.ACCEPTED, "Yes.")
    assert (
        Browser(app, company.member).post(f"/suggestions/{idea.id}/withdraw", {"version": "2"}).status_code
        == 403
    )
    assert fresh(idea).status == Status.ACCEPTED


def test_a_withdrawal_from_a_stale_page_changes_nothing(app: Flask, company: Company) -> None:
    idea = submit(company.member, department=company.sales)
    author = Browser(app, company.member)
    url = f"/suggestions/{idea.id}/withdraw"
    form = author.form(f"/suggestions/{idea.id}", url)
    review(company.lead, idea, Status.UNDER_REVIEW, "Looking.")
    response = author.send(url, form)
    assert response.status_code == 302
    assert "A reviewer changed this suggestion meanwhile" in text_of(author.page(f"/suggestions/{idea.id}"))
    assert fresh(idea).status == Status.UNDER_REVIEW and len(trail_of(idea)) == 1
