"""TRUST.md's anonymity promises across the whole app: the anonymous suggestion's author (who wrote
it through the real form while logged in, then answered a question with the receipt, logged in
again) is named by no page any role fetches, by no stored field or term of the search index, and by
no mail. tests/suggestions/test_anonymity.py holds the promises about tables, logs and receipts.
"""

from __future__ import annotations

import re
from datetime import date
from email import policy
from email.parser import BytesParser
from typing import Any

import pytest

from intranet.extensions import db

from .conftest import ROLES, SEARCH, SECRET, Company, _user
from .crawl import Page


def _traces(company: Company) -> list[re.Pattern]:
    """What would name the author: the display name, its words, the username, links with the id."""
    author = company.anon_author
    words = [w for w in author["name"].split() if len(w) > 2]
    uid = re.escape(author["id"])
    return [
        re.compile(re.escape(author["name"]), re.I),
        *(re.compile(rf"\b{re.escape(w)}\b", re.I) for w in words),
        re.compile(rf"\b{re.escape(author['username'])}\b", re.I),
        re.compile(rf"(?:user|author|member|people|person)s?[/_=-]{uid}\b", re.I),
        re.compile(rf"/{uid}/(?:ban|remove|dismiss|lift)\b"),
    ]


def test_no_page_that_shows_the_anonymous_suggestion_names_its_author(
    company: Company, pages: list[Page], listing_pages: list[Page]
):
    traces = _traces(company)
    showing = [p for p in pages + listing_pages if p.status == "200" and SECRET["anon"] in p.html]
    assert {p.role for p in showing} == set(ROLES) - {"anonymous"}  # the check has pages to look at
    assert any("22 to 6" in p.html for p in showing)  # and the author's answer among them
    leaks = [f"{p.role:10} {p.path}: {t.pattern}" for p in showing for t in traces if t.search(p.html)]
    assert not leaks, "\n" + "\n".join(leaks)


@pytest.mark.mutates
def test_the_traces_find_the_author_where_they_sign(company: Company):
    """The check can fail: once the author signs a comment elsewhere, the traces find them there."""
    named = company.ids["suggestion_id"]["named"]
    author = company.clients["author"]
    from tests.conftest import csrf_token

    token = csrf_token(author, f"/suggestions/{named}")
    r = author.post(f"/suggestions/{named}/comments", data={"csrf_token": token, "body": "Signed, by me."})
    assert r.status_code == 302
    html = company.clients["employee"].get(f"/suggestions/{named}").get_data(as_text=True)
    assert all(t.search(html) for t in _traces(company)[:3])


def test_the_author_finds_no_my_anonymous_posts_of_their_own(company: Company):
    """No stable pseudonym (A2): the author's own pages do not list what they wrote anonymously."""
    author = company.clients["author"]
    for path in ("/profile", "/notifications"):
        assert SECRET["anon"] not in author.get(path).get_data(as_text=True), path


def _index_of(company: Company) -> Any:
    backend = company.app.extensions["search"]
    return backend._open()  # the Whoosh index itself, read as an attacker with the files would


def test_the_search_index_holds_no_trace_of_the_author(company: Company):
    if company.app.config["SEARCH_BACKEND"] != "whoosh":
        pytest.skip("reads the Whoosh index's files")
    traces = _traces(company)
    author_id = company.anon_author["id"]
    anon_key = None
    with _index_of(company).reader() as reader:
        stored = list(reader.iter_docs())
        for docnum, fields in stored:
            if str(company.ids["suggestion_id"]["anonymous"]) in str(fields.get("key", "")):
                anon_key = docnum
            for value in fields.values():
                assert not any(t.search(str(value)) for t in traces), fields
        assert anon_key is not None, [f for _, f in stored][:5]
        # Every indexed term of the anonymous document: no name word, no user id in any id-like field.
        terms = []
        for field in reader.schema.names():
            if not reader.schema[field].indexed:
                continue
            for term in reader.lexicon(field):
                text = term.decode("utf-8", "replace") if isinstance(term, bytes) else str(term)
                if any(t.search(text) for t in traces[:3]):
                    terms.append((field, text))
                if field in ("realm", "restricted", "department", "key") and re.search(
                    rf"\b{author_id}\b", text
                ):
                    postings = reader.postings(field, term)
                    if anon_key in set(postings.all_ids()):
                        terms.append((field, text))
        assert not terms, terms
    with _index_of(company).reader() as reader:
        words = {t.decode() if isinstance(t, bytes) else t for t in reader.lexicon("spell")}
    assert SEARCH["anon"].lower() in {w.lower() for w in words}  # the scan reads the real terms


@pytest.mark.mutates
def test_no_mail_names_the_author(company: Company, smtp_server):
    """The suggestion adopted this month, the month's digest approved and mailed: the mail shows the
    improvement and not who proposed it."""
    from suggestions import workflow
    from suggestions.digest import months
    from suggestions.digest import services as digests
    from suggestions.lifecycle import Status
    from suggestions.models import Suggestion

    app = company.app
    month = months.first_of(date.today())
    with app.test_request_context():
        ingrid = _user("ingrid")
        suggestion = db.session.get(Suggestion, company.ids["suggestion_id"]["anonymous"])
        workflow.change_status(
            ingrid, suggestion, Status.ACCEPTED, "Yes.", expected_version=suggestion.status_version
        )
        workflow.change_status(
            ingrid,
            suggestion,
            Status.ADOPTED,
            "Done.",
            expected_version=suggestion.status_version,
            adoption=workflow.AdoptionData(what_was_done="A quiet room on the third floor."),
        )
        db.session.commit()
        digest = digests.find_or_new(month)
        digests.edit(ingrid, month, "This month.", {suggestion.id}, expected_version=digest.version)
        db.session.commit()
        digests.approve(ingrid, month, expected_version=digests.find(month).version)
        db.session.commit()
    app.config.update(SMTP_URL=smtp_server.url, DIGEST_TO=["all@ting.example.com", "board@ting.example.com"])
    try:
        result = app.test_cli_runner().invoke(args=["digest", "send", "--month", month.strftime("%Y-%m")])
    finally:
        app.config.update(SMTP_URL=None, DIGEST_TO=[])
    assert result.exit_code == 0, result.output
    assert smtp_server.messages
    traces = _traces(company)
    for received in smtp_server.messages:
        raw = received.message.as_bytes() if hasattr(received.message, "as_bytes") else received.message
        message = BytesParser(policy=policy.default).parsebytes(raw) if isinstance(raw, bytes) else raw
        texts = [message["Subject"] or ""]
        for part in message.walk():
            if part.get_content_maintype() == "text":
                texts.append(part.get_content())
        text = "\n".join(texts)
        assert SECRET["anon"] in text  # the improvement is in the mail
        assert not [t.pattern for t in traces if t.search(text)], text
