"""The crawler: every GET route of the inventory, as every role, with every labelled object the route
takes; each answer reduced to a status class ("200", "login", "403", "404", "302 /path"...).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from werkzeug.routing import Rule

from tests.fuzz.inventory import ROUTES

from .conftest import ROLES, Company

#: GET routes the crawl leaves out, with the reason.
NOT_CRAWLED = {
    "static": "files shipped with the app, the same for everyone",
}

#: Which path parameter takes which kind of labelled object (the conftest's ``ids``).
PARAMETERS = (
    "group_id",
    "thread_id",
    "post_id",
    "suggestion_id",
    "campaign_id",
    "notification_id",
    "month",
    "name",
)


#: Short names for the redirects the allow-list shows often (by shape: digits are N).
SHORT = {
    "/groups/threads/N": "thread",
    "/profile": "profile",
    "/groups/queue": "queue",
    "/digest/N-N": "month",
}


@dataclass(frozen=True)
class Page:
    role: str
    endpoint: str
    label: str
    path: str
    status: str
    html: str


def get_rules(company: Company) -> list[Rule]:
    rules = [
        r
        for r in company.app.url_map.iter_rules()
        if "GET" in (r.methods or ()) and r.endpoint not in NOT_CRAWLED
    ]
    return sorted(rules, key=lambda r: r.endpoint)


def targets(company: Company, rule: Rule) -> list[tuple[str, str]]:
    """(label, path) for every combination of labelled objects the rule's parameters take."""
    names = sorted(rule.arguments)
    unknown = set(names) - set(PARAMETERS)
    assert not unknown, f"{rule.endpoint}: no labelled objects for {unknown}"
    choices = [list(company.ids[n].items()) for n in names]
    out = []
    for combo in itertools.product(*choices):
        label = "/".join(lbl for lbl, _ in combo) or "-"
        values = {n: v for n, (_, v) in zip(names, combo, strict=True)}
        path = rule.rule
        for n, v in values.items():
            path = re.sub(r"<(?:[^:<>]+:)?" + n + ">", str(v), path)
        out.append((label, path))
    return out


def status_class(response) -> str:  # noqa: ANN001 - a werkzeug TestResponse
    code = response.status_code
    if code in (301, 302, 303, 307, 308):
        where = urlsplit(response.headers.get("Location", "")).path
        # Ids and months vary between runs and databases: the class is where it sends, by shape.
        if where == "/login":
            return "login"
        shape = re.sub(r"\d+", "N", where)
        return "→" + SHORT.get(shape, shape)
    return str(code)


def crawl(company: Company, endpoints: Callable[[str], bool] = lambda e: True) -> list[Page]:
    pages = []
    for rule in get_rules(company):
        if not endpoints(rule.endpoint):
            continue
        assert rule.endpoint in ROUTES, f"{rule.endpoint} is not in tests/fuzz/inventory.py"
        for label, path in targets(company, rule):
            for role in ROLES:
                response = company.clients[role].get(path)
                html = response.get_data(as_text=True) if response.mimetype != "image/png" else ""
                pages.append(Page(role, rule.endpoint, label, path, status_class(response), html))
    return pages
