"""Every route, every form field and query parameter, as every role, with hostile values.

The promise (DESIGN.md invariant 5): never a 5xx; bad input gets 400/403/404/405/409/413/422 or
the form again with a message, and a refused request leaves the database as it was (no write
committed). POSTs carry a valid CSRF token (now and then a bad one), so the fuzz reaches the forms.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.routing import Rule
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
)

from intranet.forms import Form
from suggestions.digest.pictures import NAMES as CHART_NAMES
from suggestions.forms import CATEGORIES
from suggestions.lifecycle import Status

from . import hostile
from .conftest import FUZZ, ROLES, Site
from .inventory import EXCLUDED, PAGING, ROUTES

ROOT = Path(__file__).resolve().parents[2]
WHO = [*ROLES, "anonymous"]

#: Path parameter values that are not ids of anything: zero, past every integer column, not numbers.
HOSTILE_IDS = [
    "0",
    "2147483647",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "1" + "0" * 30,
    "9" * 400,
    "-1",
    "1.0",
    "1e3",
    "abc",
    "%00",
    "%FF",
    "%ED%A0%80",
    "٣",
    "%20",
    "1%00",
]
MONTHS = [
    "2026-01",
    "2026-11",
    "2025-06",
    "1969-12",
    "1970-01",
    "2026-13",
    "9999-12",
    "0000-00",
    "2026-1",
    "abc",
]
STATIC = ["css/ting.css", "../secret_key", "..%2F..%2Fsetup.cfg", "nothing.css", "%00", "css/%FF"]


def _rules(site: Site) -> list[Rule]:
    return list(site.app.url_map.iter_rules())


def _methods(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _cases() -> list[tuple[str, str]]:
    from intranet import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted(
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint in ROUTES
        for method in _methods(rule)
    )


# -- the inventory ------------------------------------------------------------------------------------


def test_every_route_is_fuzzed_or_excluded(site: Site):
    endpoints = {rule.endpoint for rule in _rules(site)}
    forgotten = endpoints - set(ROUTES) - set(EXCLUDED)
    assert not forgotten, f"routes neither fuzzed nor excluded (tests/fuzz/inventory.py): {sorted(forgotten)}"
    stale = (set(ROUTES) | set(EXCLUDED)) - endpoints
    assert not stale, f"inventory names routes the app no longer has: {sorted(stale)}"
    assert not set(ROUTES) & set(EXCLUDED)
    assert all(reason.strip() for reason in EXCLUDED.values())


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def test_every_form_class_is_fuzzed(site: Site):
    """Every Flask-WTF form of the app (all are imported once the app is built) is some route's form."""
    fuzzed = {route.form for route in ROUTES.values() if route.form}
    forms = {f for f in _subclasses(Form) if not f.__module__.startswith("tests.")}
    bases = {f for f in forms if any(issubclass(g, f) and g is not f for g in forms) and f not in fuzzed}
    assert not forms - fuzzed - bases, f"forms no route fuzzes: {forms - fuzzed - bases}"


_READS = re.compile(r"^(request\.)?(args|form|values)$")


def _parameters_read(path: Path) -> set[tuple[str, str]]:
    """(where, name) of every ``request.args/form/values.get("name")``, ``getlist`` and ``[...]``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        target, name = None, None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in ("get", "getlist") and node.args and isinstance(node.args[0], ast.Constant):
                target, name = node.func.value, node.args[0].value
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            target, name = node.value, node.slice.value
        if target is None or not isinstance(name, str):
            continue
        source = ast.unparse(target)
        if _READS.match(source) and (source.startswith("request.") or source == "args"):
            found.add(("query" if "args" in source else "form", name))
    return found


def test_every_parameter_the_views_read_is_fuzzed():
    views = [
        p
        for pkg in ("intranet", "auth", "groups", "suggestions", "search")
        for p in (ROOT / pkg).rglob("*.py")
    ]
    read = set().union(*(_parameters_read(p) for p in views))
    assert ("query", "q") in read and ("form", "decision") in read  # the scan sees what it should
    fuzzed_query = {n for r in ROUTES.values() for n in r.query} | set(PAGING)
    fuzzed_form = {n for r in ROUTES.values() for n in r.raw} | _form_field_names()
    # request.values reads both: the query names count for it too.
    missing = {
        (kind, n)
        for kind, n in read
        if n not in (fuzzed_query if kind == "query" else fuzzed_form | fuzzed_query)
    }
    assert not missing, f"parameters the views read that the fuzz never sends: {sorted(missing)}"


def _form_field_names() -> set[str]:
    names = set()
    for route in ROUTES.values():
        if route.form:
            names |= {name for name, _ in _fields(route.form)}
    return names


def _fields(form: type[Form]) -> list[tuple[str, object]]:
    """(name, unbound field) of a form class, in declaration order, without CSRF."""
    items = []
    for cls in reversed(form.__mro__):
        for name, value in vars(cls).items():
            if hasattr(value, "field_class") and name not in dict(items):
                items.append((name, value))
    return items


# -- what the fuzz sends --------------------------------------------------------------------------------


def _valid(site: Site, name: str, unbound: object | None) -> list[str]:
    """Valid values for a field, so that some examples get past the first check to the next one."""
    ids = site.ids
    departments = [str(i) for i in ids["department_id"]]
    by_name = {
        "target": ["company", *departments, *(str(i) for i in ids["group_id"][:5])],
        "department": ["company", *departments],
        "responsible": ["", *departments],
        "category": list(CATEGORIES),
        "status": ["same", *(s.value for s in Status)],
        "identity": ["named", "anonymous"],
        "visibility": ["open", "closed", "inherit"],
        "sort": ["newest", "votes", "oldest"],
        "order": ["relevance", "newest", "oldest"],
        "version": ["1", "2", "0", "3"],
        "campaign": [str(i) for i in ids["campaign_id"]],
        "post_id": ["0", *(str(i) for i in ids["post_id"][:10])],
        "duplicate_of": [str(i) for i in ids["suggestion_id"][:5]],
        "highlights": [str(i) for i in ids["suggestion_id"][:10]],
        "receipt": [site.receipt],
        "username": ["zoe", "amelie", "nobody", "ZOE"],
        "password": ["wrong", "x"],  # never the demo password: the anonymous client stays anonymous
        "decision": ["approve", "decline"],
        "language": ["en", "nb", "sv", "da", "nl", "xx"],
        "next": ["/profile", "//evil.example", "/\\evil.example", "https://evil.example/"],
        "pinned": ["0", "1"],
        "locked": ["0", "1"],
        "vote": ["0", "1"],
        "follow": ["0", "1"],
        "as_question": ["1", ""],
        "page": ["1", "2"],
        "parent": [str(i) for i in ids["group_id"][:5]],
        "q": ["coffee", "kind:suggestion", '"night shift"', "-coffee"],
        "title": ["coffee machine", "Better"],
        "key": ["wrong"],
    }
    if name in by_name:
        return by_name[name]
    field_class = getattr(unbound, "field_class", None)
    if field_class is None:
        return []
    if issubclass(field_class, BooleanField):
        return ["y", "on", "1", ""]
    if issubclass(field_class, DateField):
        return ["2030-01-31", "2026-12-31", "2020-01-01"]
    if issubclass(field_class, (DecimalField, IntegerField)):
        return ["0", "12.5", "1000", "3"]
    if issubclass(field_class, (SelectField, RadioField, SelectMultipleField)):
        choices = unbound.kwargs.get("choices") or []
        return [str(getattr(c, "value", c[0] if isinstance(c, tuple) else c)) for c in choices]
    return ["A perfectly ordinary title", "Some *Markdown* with a [link](https://intranet.example/)."]


def _path_value(site: Site, name: str) -> st.SearchStrategy[str]:
    if name == "month":
        return st.sampled_from(MONTHS)
    if name == "name":
        return st.sampled_from([*CHART_NAMES, "departments.png", "%00", "x" * 300])
    if name == "filename":
        return st.sampled_from(STATIC)
    known = [str(i) for i in site.ids.get(name, [])]
    return st.one_of(st.sampled_from(known or ["1"]), st.sampled_from(HOSTILE_IDS))


def _build_path(rule: Rule, values: dict[str, str]) -> str:
    def sub(match: re.Match) -> str:
        raw = values[match.group(2)]
        # Percent escapes in the hostile list are sent as they are; everything else is quoted.
        return raw if "%" in raw else quote(raw, safe="/" if match.group(2) == "filename" else "")

    return re.sub(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-z_]+)>", sub, rule.rule)


@st.composite
def requests(draw: st.DrawFn, site: Site, rule: Rule, method: str) -> dict:
    route = ROUTES[rule.endpoint]
    who = draw(st.sampled_from(WHO))
    values = {name: draw(_path_value(site, name)) for name in sorted(rule.arguments)}
    query_names = list(route.query) + (list(PAGING) if method == "GET" else [])
    query = draw(hostile.pairs({n: _valid(site, n, None) for n in query_names}, NUMERIC))
    body: list = []
    if method == "POST":
        fields = {n: _valid(site, n, unbound) for n, unbound in _fields(route.form)} if route.form else {}
        fields |= {n: _valid(site, n, None) for n in route.raw}
        numeric = NUMERIC | {
            n
            for n, unbound in _fields(route.form or Form)
            if issubclass(unbound.field_class, (DecimalField, IntegerField))
        }
        body = draw(hostile.pairs(fields, frozenset(numeric)))
        token = draw(st.sampled_from(["good"] * 8 + ["none", "bad"]))
        if token != "none":
            body.insert(0, ("csrf_token", site.tokens[who] if token == "good" else "IjEi.bad.token"))
    # Now and then the bytes as they are, without percent escapes (what curl or a scanner sends).
    unescaped = draw(st.sampled_from([False] * 4 + [True]))
    return {
        "who": who,
        "path": _build_path(rule, values),
        "query": hostile.urlencode(query).decode("ascii"),
        "raw_query": hostile.raw(query).decode("latin-1") if unescaped else None,
        "body": hostile.raw(body) if unescaped else hostile.urlencode(body),
    }


def _rule(site: Site, endpoint: str) -> Rule:
    return next(r for r in _rules(site) if r.endpoint == endpoint)


#: Fields and parameters that hold a number (ids, versions, pages): out-of-range numbers more often.
NUMERIC = frozenset(
    {
        "page",
        "per_page",
        "parent",
        "campaign",
        "department",
        "version",
        "post_id",
        "duplicate_of",
        "highlights",
    }
)
#: How Werkzeug's own error pages start: Ting answers every refusal with its own page instead.
WERKZEUG_PAGE = b"<!doctype html>\n<html lang=en>\n<title>"
REFUSED = {400, 401, 403, 404, 405, 409, 413, 422, 429}


@pytest.mark.parametrize(("endpoint", "method"), _cases())
def test_route_survives_hostile_input(site: Site, endpoint: str, method: str):
    rule = _rule(site, endpoint)
    route = ROUTES[endpoint]

    @FUZZ
    @given(requests(site, rule, method))
    def check(req: dict) -> None:
        client = site.client(req["who"])
        site.watch.start()
        response = client.open(
            req["path"],
            method=method,
            query_string=req["query"],
            data=req["body"],
            content_type="application/x-www-form-urlencoded",
            # WSGI servers hand the query string on as latin-1 text of the raw bytes.
            environ_overrides={"QUERY_STRING": req["raw_query"]} if req["raw_query"] is not None else {},
        )
        body = response.get_data()
        response.close()  # a static file's response holds the file open
        status = response.status_code
        assert status < 500, f"{method} {req['path']} as {req['who']}: {status}"
        assert status in REFUSED or status < 400, status
        committed = site.watch.committed
        if status >= 400:
            assert not committed, f"refused ({status}) but committed: {committed}"
        if method == "GET" and not route.writes_on_get:
            assert not committed, f"GET {req['path']} committed writes: {committed}"
        if status >= 400:
            assert WERKZEUG_PAGE not in body, f"{status}: Werkzeug's bare error page, not Ting's"
        if status == 422:
            html = body.decode()
            assert 'class="error"' in html or 'class="flash' in html, "a refused form says why"

    check()


# -- every field and parameter, each with the worst values -------------------------------------------

#: The values most likely to break something, by kind of field: every one is sent to every field.
WORST_NUMBERS = ["9223372036854775808", "1" + "0" * 30, "9" * 400, "-1", "1e309", "NaN", "٣"]
WORST_TEXT = ["\x00", "a\x00b", "\ud800", b"\xff\xfe", "x" * 20_001, ">" * 19_000, "%_' OR 1=1 --"]
WORST_IDS = ["9223372036854775808", "9" * 400, "0", "%FF"]


def _role_for(endpoint: str) -> str:
    """Who reaches this route's form: management decides and edits the digest, admins the rest."""
    management = (
        "digest.",
        "suggestions.change_status",
        "suggestions.not_duplicate",
        "suggestions.new_campaign",
    )
    return "management" if endpoint.startswith(management) else "admin"


def _good_path_values(site: Site, rule: Rule) -> dict[str, str]:
    from groups.models import JoinRequest
    from intranet.extensions import db
    from suggestions.digest import months

    values = {name: str((site.ids.get(name) or [1])[0]) for name in rule.arguments}
    if "request_id" in rule.arguments:
        with site.app.app_context():
            req = db.session.scalars(db.select(JoinRequest)).first()
            if req is not None:
                values |= {"request_id": str(req.id), "group_id": str(req.group_id)}
    if "month" in rule.arguments:
        from intranet.clock import utcnow

        values["month"] = months.key(months.previous(utcnow().date()))
    values |= {
        k: v for k, v in {"name": "departments", "filename": "css/ting.css"}.items() if k in rule.arguments
    }
    return values


def _worst_cases() -> list[tuple[str, str, str, str]]:
    """(endpoint, method, where, name) of every path parameter, query parameter and form field."""
    from intranet import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    cases = []
    for rule in app.url_map.iter_rules():
        route = ROUTES.get(rule.endpoint)
        if route is None:
            continue
        for method in _methods(rule):
            cases += [(rule.endpoint, method, "path", n) for n in sorted(rule.arguments) if n != "filename"]
            paging = PAGING if method == "GET" else ()
            cases += [(rule.endpoint, method, "query", n) for n in [*route.query, *paging]]
            if method == "POST":
                fields = [n for n, _ in _fields(route.form)] if route.form else []
                cases += [(rule.endpoint, method, "form", n) for n in [*fields, *route.raw]]
    return sorted(set(cases))


@pytest.mark.parametrize(("endpoint", "method", "where", "name"), _worst_cases())
def test_each_parameter_survives_the_worst_values(
    site: Site, endpoint: str, method: str, where: str, name: str
):
    """Each field alone gets each of the worst values, the others valid: nothing hides it."""
    rule, route = _rule(site, endpoint), ROUTES[endpoint]
    who = _role_for(endpoint)
    path_values = _good_path_values(site, rule)
    form = {n: (_valid(site, n, u) or [""])[0] for n, u in _fields(route.form)} if route.form else {}
    form |= {n: (_valid(site, n, None) or [""])[0] for n in route.raw}
    query = {n: (_valid(site, n, None) or [""])[0] for n in route.query}
    if where == "path":
        worst = WORST_IDS
    else:
        valid = _valid(site, name, dict(_fields(route.form)).get(name) if route.form else None)
        numeric = name in NUMERIC or (valid and all(v.lstrip("-").isdigit() for v in valid if v))
        worst = [*WORST_NUMBERS, *WORST_TEXT[:4]] if numeric else WORST_TEXT
    for bad in worst:
        values, q, f = dict(path_values), dict(query), dict(form)
        {"path": values, "query": q, "form": f}[where][name] = bad
        site.watch.start()
        response = site.client(who).open(
            _build_path(rule, values),
            method=method,
            query_string=hostile.urlencode(list(q.items())).decode("ascii"),
            data=hostile.urlencode([("csrf_token", site.tokens[who]), *f.items()])
            if method == "POST"
            else b"",
            content_type="application/x-www-form-urlencoded",
        )
        response.close()
        status = response.status_code
        assert status < 500, f"{method} {endpoint} {where} {name}={bad[:30]!r}: {status}"
        if status >= 400 or (method == "GET" and not route.writes_on_get):
            assert not site.watch.committed, (
                f"{name}={bad[:30]!r} ({status}) committed {site.watch.committed}"
            )


def test_logout_with_hostile_input_is_refused_or_logs_out(site: Site):
    """The route the generic fuzz leaves out (it would end the fuzzing clients' sessions)."""
    from tests.conftest import csrf_token, login

    client = site.app.test_client()
    assert login(client, "zoe", "demo").status_code == 302
    token = csrf_token(client, "/profile")
    for body in [b"", b"csrf_token=%FF%FE", b"csrf_token=%00", b"csrf_token=" + b"x" * 5000]:
        site.watch.start()
        response = client.post("/logout", data=body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 400 and not site.watch.committed
        assert client.get("/profile").status_code == 200  # still logged in
    extra = [("csrf_token", token), ("next", "//evil.example"), ("\ud800", "\x00" * 10)]
    response = client.post(
        "/logout", data=hostile.urlencode(extra), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.get("/profile").status_code == 302


def test_write_watch_sees_committed_writes_and_forgets_rolled_back_ones(site: Site):
    """The check "a refused request commits nothing" can fail: the watch sees what a save commits."""
    from groups.models import Thread
    from intranet.extensions import db

    with site.app.app_context():
        thread_id = db.session.scalars(db.select(Thread.id).order_by(Thread.id)).first()
    site.watch.start()
    data = hostile.urlencode([("csrf_token", site.tokens["admin"]), ("body", "Seen by the watch")])
    response = site.client("admin").post(
        f"/groups/threads/{thread_id}/reply", data=data, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 302
    assert any(s.startswith("INSERT INTO posts") for s in site.watch.committed), site.watch.committed
    site.watch.start()
    with site.app.app_context():
        db.session.execute(db.update(Thread).where(Thread.id == thread_id).values(title="never"))
        db.session.rollback()
    assert site.watch.committed == []


def _get_rules() -> list[str]:
    from intranet import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return sorted(rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods)


@pytest.mark.parametrize("endpoint", _get_rules())
def test_head_and_options_answer_as_get_does_and_change_nothing(site: Site, endpoint: str):
    """HEAD is GET without a body (same status, same headers that matter); OPTIONS names the
    methods; neither commits anything, as any role or logged out."""
    rule = _rule(site, endpoint)
    route = ROUTES.get(endpoint)
    path = _build_path(rule, _good_path_values(site, rule))
    for who in site.clients:
        client = site.client(who)
        got = client.get(path)
        got.close()
        site.watch.start()
        head = client.head(path)
        head.close()
        assert head.status_code == got.status_code < 500, f"HEAD {path} as {who}: {head.status_code}"
        assert head.data == b"" and head.headers.get("Location") == got.headers.get("Location")
        if not (route and route.writes_on_get):
            assert not site.watch.committed, f"HEAD {path} as {who} committed {site.watch.committed}"
        site.watch.start()
        options = client.options(path)
        assert options.status_code == 200, f"OPTIONS {path} as {who}: {options.status_code}"
        assert "GET" in options.headers["Allow"] and not site.watch.committed
