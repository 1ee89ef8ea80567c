"""Suggestion fixtures: the groups' small company (every role), plus helpers to submit and review."""

from __future__ import annotations

from typing import Any

import pytest

from intranet.extensions import db
from intranet.models import Department, User
from suggestions import services, workflow
from suggestions.lifecycle import Status
from suggestions.models import Suggestion
from tests.groups.conftest import (  # noqa: F401 - fixtures and helpers shared with the groups tests
    Company,
    app,
    build_company,
    company,
    login_as,
    make_user,
    post_form,
)


def draft(title: str = "Better coffee", department: Department | None = None, **kw: Any) -> services.Draft:
    kw.setdefault("body", "The coffee machine on floor 2 is always empty by ten.")
    kw.setdefault("category", "workplace")
    return services.Draft(title=title, department=department, **kw)


def submit(author: User | None, title: str = "Better coffee", **kw: Any) -> Suggestion:
    """A named suggestion by ``author``, or an anonymous one (receipt dropped) when ``author`` is None."""
    if author is None:
        suggestion, _receipt = services.submit_anonymous(draft(title, **kw))
    else:
        suggestion = services.submit_named(author, draft(title, **kw))
    db.session.commit()
    return suggestion


def review(
    reviewer: User, suggestion: Suggestion, target: Status, response: str = "We looked at it.", **kw: Any
) -> workflow.StatusChange:
    change = workflow.change_status(
        reviewer, suggestion, target, response, expected_version=suggestion.status_version, **kw
    )
    db.session.commit()
    return change


@pytest.fixture
def staffed(company: Company) -> Company:  # noqa: F811 - the imported fixture, by name
    """The company with sales and engineering both at ANON_MIN_GROUP_SIZE (5) active people or more."""
    for i in range(3):
        make_user(f"seller{i}", company.sales)
        make_user(f"engineer{i}", company.engineering)
    db.session.commit()
    return company


@pytest.fixture
def november(staffed: Company):  # noqa: F811 - the fixture above
    """Last month in the suggestion box (see ``digest_data``)."""
    from tests.suggestions.digest_data import build_month

    return build_month(staffed)
