"""Every state-changing route, as every role, on the objects that role must not touch: refused
(403, or 404 where existence must not leak, or the login page) and nothing in the database changes.

Each POST carries a valid CSRF token and a form that would pass validation, so the refusal is the
permission check's. The table reads like the GET allow-list; ``-`` marks a role that may do it
(that cell is not sent: it would change the data for the cells after it). Unfollowing is
everyone's right, also for a listed closed group one does not read: those cells are ``-`` too.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from intranet.extensions import db
from tests.fuzz.conftest import WriteWatch

from .conftest import ROLES, Company
from .crawl import status_class

# fmt: off
REFUSED = """
# endpoint                 object               anonymous  employee   lead       management admin
digest.approve             approved             login      403        403        -          403
digest.approve             draft                login      403        403        -          403
digest.edit                approved             login      403        403        -          403
digest.edit                draft                login      403        403        -          403
digest.reopen              approved             login      403        403        -          403
digest.reopen              draft                login      403        403        -          403
groups.accept              closed_in_open       login      404        -          404        -
groups.accept              closed_other         login      404        404        404        -
groups.accept              closed_own           login      404        -          404        -
groups.accept              closed_sub           login      404        404        404        -
groups.accept              missing              login      404        404        404        -
groups.accept              open                 login      -          -          403        -
groups.accept              unlisted             login      404        404        404        -
groups.appoint             closed_in_open       login      404        -          404        -
groups.appoint             closed_other         login      404        404        404        -
groups.appoint             closed_own           login      404        -          404        -
groups.appoint             closed_sub           login      404        404        404        -
groups.appoint             company              login      403        403        403        -
groups.appoint             missing              login      404        404        404        -
groups.appoint             open                 login      403        -          403        -
groups.appoint             unlisted             login      404        404        404        -
groups.ban                 closed_other/zoe     login      404        404        404        -
groups.ban                 closed_own/priya     login      404        -          404        -
groups.ban                 open/zoe             login      403        -          403        -
groups.confirm_hide        closed_in_open       login      404        -          404        -
groups.confirm_hide        closed_other         login      404        404        404        -
groups.confirm_hide        closed_own           login      404        -          404        -
groups.confirm_hide        deleted              login      403        -          403        -
groups.confirm_hide        hidden               login      403        -          403        -
groups.confirm_hide        missing              login      404        404        404        -
groups.confirm_hide        open_question        login      403        -          403        -
groups.confirm_hide        unlisted             login      404        404        404        -
groups.decide              closed_other/pending login      404        404        404        -
groups.decide              closed_own/pending   login      404        -          404        -
groups.decide              open/pending         login      403        -          403        -
groups.decline_hide        closed_in_open       login      404        -          404        -
groups.decline_hide        closed_other         login      404        404        404        -
groups.decline_hide        closed_own           login      404        -          404        -
groups.decline_hide        deleted              login      403        -          403        -
groups.decline_hide        hidden               login      403        -          403        -
groups.decline_hide        missing              login      404        404        404        -
groups.decline_hide        open_question        login      403        -          403        -
groups.decline_hide        unlisted             login      404        404        404        -
groups.delete_post         closed_in_open       login      404        403        404        403
groups.delete_post         closed_other         login      404        404        404        403
groups.delete_post         closed_own           login      404        403        404        403
groups.delete_post         deleted              login      403        403        403        403
groups.delete_post         hidden               login      403        403        403        403
groups.delete_post         missing              login      404        404        404        404
groups.delete_post         open_question        login      -          403        403        403
groups.delete_post         unlisted             login      404        404        404        403
groups.dismiss             closed_other/zoe     login      404        404        404        -
groups.dismiss             closed_own/priya     login      404        -          404        -
groups.dismiss             open/zoe             login      403        -          403        -
groups.dismiss_flags       closed_in_open       login      404        -          404        -
groups.dismiss_flags       closed_other         login      404        404        404        -
groups.dismiss_flags       closed_own           login      404        -          404        -
groups.dismiss_flags       deleted              login      403        -          403        -
groups.dismiss_flags       hidden               login      403        -          403        -
groups.dismiss_flags       missing              login      404        404        404        -
groups.dismiss_flags       open_question        login      403        -          403        -
groups.dismiss_flags       unlisted             login      404        404        404        -
groups.edit                closed_in_open       login      404        -          404        -
groups.edit                closed_other         login      404        404        404        -
groups.edit                closed_own           login      404        -          404        -
groups.edit                closed_sub           login      404        404        404        -
groups.edit                company              login      403        403        403        -
groups.edit                missing              login      404        404        404        -
groups.edit                open                 login      403        -          403        -
groups.edit                unlisted             login      404        404        404        -
groups.edit_post           closed_in_open       login      404        403        404        403
groups.edit_post           closed_other         login      404        404        404        403
groups.edit_post           closed_own           login      404        403        404        403
groups.edit_post           deleted              login      403        403        403        403
groups.edit_post           hidden               login      403        403        403        403
groups.edit_post           missing              login      404        404        404        404
groups.edit_post           open_question        login      -          403        403        403
groups.edit_post           unlisted             login      404        404        404        403
groups.flag                closed_in_open       login      404        -          404        -
groups.flag                closed_other         login      404        404        404        -
groups.flag                closed_own           login      404        -          404        -
groups.flag                deleted              login      403        -          403        -
groups.flag                hidden               login      403        -          403        -
groups.flag                missing              login      404        404        404        -
groups.flag                open_question        login      403        -          -          -
groups.flag                unlisted             login      404        404        404        -
groups.follow              closed_in_open       login      404        -          404        -
groups.follow              closed_other         login      404        404        404        -
groups.follow              closed_own           login      404        -          404        -
groups.follow              closed_sub           login      404        404        404        -
groups.follow              company              login      -          -          -          -
groups.follow              missing              login      404        404        404        -
groups.follow              open                 login      -          -          -          -
groups.follow              unlisted             login      404        404        404        -
groups.follow_thread       closed_in_open       login      404        -          404        -
groups.follow_thread       closed_other         login      404        404        404        -
groups.follow_thread       closed_own           login      404        -          404        -
groups.follow_thread       closed_sub           login      404        404        404        -
groups.follow_thread       missing              login      404        404        404        -
groups.follow_thread       open                 login      -          -          -          -
groups.follow_thread       unlisted             login      404        404        404        -
groups.hide                closed_in_open       login      404        -          404        -
groups.hide                closed_other         login      404        404        404        -
groups.hide                closed_own           login      404        -          404        -
groups.hide                deleted              login      403        -          403        -
groups.hide                hidden               login      403        -          403        -
groups.hide                missing              login      404        404        404        -
groups.hide                open_question        login      403        -          403        -
groups.hide                unlisted             login      404        404        404        -
groups.invite              closed_in_open       login      404        -          404        -
groups.invite              closed_other         login      404        404        404        -
groups.invite              closed_own           login      404        -          404        -
groups.invite              closed_sub           login      404        404        404        -
groups.invite              company              login      403        403        403        -
groups.invite              missing              login      404        404        404        -
groups.invite              open                 login      403        -          403        -
groups.invite              unlisted             login      404        404        404        -
groups.join                closed_in_open       login      404        -          404        -
groups.join                closed_other         login      404        404        404        -
groups.join                closed_own           login      404        -          404        -
groups.join                closed_sub           login      404        404        404        -
groups.join                company              login      -          -          -          -
groups.join                missing              login      404        404        404        -
groups.join                open                 login      -          -          -          -
groups.join                unlisted             login      404        404        404        -
groups.leave               closed_in_open       login      403        -          403        -
groups.leave               closed_other         login      404        404        404        -
groups.leave               closed_own           login      403        -          404        -
groups.leave               closed_sub           login      404        404        404        -
groups.leave               company              login      -          -          -          -
groups.leave               missing              login      404        404        404        -
groups.leave               open                 login      -          -          -          -
groups.leave               unlisted             login      404        404        404        -
groups.lock                closed_in_open       login      404        -          404        -
groups.lock                closed_other         login      404        404        404        -
groups.lock                closed_own           login      404        -          404        -
groups.lock                closed_sub           login      404        404        404        -
groups.lock                missing              login      404        404        404        -
groups.lock                open                 login      403        -          403        -
groups.lock                unlisted             login      404        404        404        -
groups.move                closed_in_open       login      404        -          404        -
groups.move                closed_other         login      404        404        404        -
groups.move                closed_own           login      404        -          404        -
groups.move                closed_sub           login      404        404        404        -
groups.move                missing              login      404        404        404        -
groups.move                open                 login      403        -          403        -
groups.move                unlisted             login      404        404        404        -
groups.new                 -                    login      403        -          403        -
groups.new_thread          closed_in_open       login      404        -          404        -
groups.new_thread          closed_other         login      404        404        404        -
groups.new_thread          closed_own           login      404        -          404        -
groups.new_thread          closed_sub           login      404        404        404        -
groups.new_thread          company              login      -          -          -          -
groups.new_thread          missing              login      404        404        404        -
groups.new_thread          open                 login      -          -          -          -
groups.new_thread          unlisted             login      404        404        404        -
groups.pin                 closed_in_open       login      404        -          404        -
groups.pin                 closed_other         login      404        404        404        -
groups.pin                 closed_own           login      404        -          404        -
groups.pin                 closed_sub           login      404        404        404        -
groups.pin                 missing              login      404        404        404        -
groups.pin                 open                 login      403        -          403        -
groups.pin                 unlisted             login      404        404        404        -
groups.remove              closed_other/zoe     login      404        404        404        -
groups.remove              closed_own/priya     login      404        -          404        -
groups.remove              open/zoe             login      403        -          403        -
groups.reply               closed_in_open       login      404        -          404        -
groups.reply               closed_other         login      404        404        404        -
groups.reply               closed_own           login      404        -          404        -
groups.reply               closed_sub           login      404        404        404        -
groups.reply               missing              login      404        404        404        -
groups.reply               open                 login      -          -          -          -
groups.reply               unlisted             login      404        404        404        -
groups.request_join        closed_in_open       login      -          403        -          403
groups.request_join        closed_other         login      404        404        404        -
groups.request_join        closed_own           login      -          -          404        -
groups.request_join        closed_sub           login      404        404        404        -
groups.request_join        company              login      403        403        403        -
groups.request_join        missing              login      404        404        404        -
groups.request_join        open                 login      403        403        403        -
groups.request_join        unlisted             login      404        404        404        -
groups.restore             closed_in_open       login      404        -          404        -
groups.restore             closed_other         login      404        404        404        -
groups.restore             closed_own           login      404        -          404        -
groups.restore             deleted              login      403        -          403        -
groups.restore             hidden               login      403        -          403        -
groups.restore             missing              login      404        404        404        -
groups.restore             open_question        login      403        -          403        -
groups.restore             unlisted             login      404        404        404        -
groups.unban               closed_other/zoe     login      404        404        404        -
groups.unban               closed_own/priya     login      404        -          404        -
groups.unban               open/zoe             login      403        -          403        -
groups.unfollow            closed_in_open       login      -          -          -          -
groups.unfollow            closed_other         login      404        404        404        -
groups.unfollow            closed_own           login      -          -          404        -
groups.unfollow            closed_sub           login      404        404        404        -
groups.unfollow            company              login      -          -          -          -
groups.unfollow            missing              login      404        404        404        -
groups.unfollow            open                 login      -          -          -          -
groups.unfollow            unlisted             login      404        404        404        -
groups.unfollow_thread     closed_in_open       login      404        -          404        -
groups.unfollow_thread     closed_other         login      404        404        404        -
groups.unfollow_thread     closed_own           login      404        -          404        -
groups.unfollow_thread     closed_sub           login      404        404        404        -
groups.unfollow_thread     missing              login      404        404        404        -
groups.unfollow_thread     open                 login      -          -          -          -
groups.unfollow_thread     unlisted             login      404        404        404        -
suggestions.adoption       adopted              login      403        403        -          403
suggestions.adoption       anonymous            login      403        403        -          403
suggestions.adoption       missing              login      404        404        -          404
suggestions.adoption       named                login      403        -          -          403
suggestions.adoption       other_dept           login      403        403        -          403
suggestions.change_status  adopted              login      403        403        -          403
suggestions.change_status  anonymous            login      403        403        -          403
suggestions.change_status  missing              login      404        404        -          404
suggestions.change_status  named                login      403        -          -          403
suggestions.change_status  other_dept           login      403        403        -          403
suggestions.close_campaign missing              login      404        404        -          404
suggestions.close_campaign open                 login      403        403        -          403
suggestions.comment        adopted              login      -          -          -          -
suggestions.comment        anonymous            login      -          -          -          -
suggestions.comment        missing              login      404        404        404        404
suggestions.comment        named                login      -          -          -          -
suggestions.comment        other_dept           login      -          -          -          -
suggestions.follow         adopted              login      -          -          -          -
suggestions.follow         anonymous            login      -          -          -          -
suggestions.follow         missing              login      404        404        404        404
suggestions.follow         named                login      -          -          -          -
suggestions.follow         other_dept           login      -          -          -          -
suggestions.new            -                    login      -          -          -          -
suggestions.new_campaign   -                    login      403        403        -          403
suggestions.not_duplicate  adopted              login      403        403        -          403
suggestions.not_duplicate  anonymous            login      403        403        -          403
suggestions.not_duplicate  missing              login      404        404        -          404
suggestions.not_duplicate  named                login      403        -          -          403
suggestions.not_duplicate  other_dept           login      403        403        -          403
suggestions.vote           adopted              login      -          -          -          -
suggestions.vote           anonymous            login      -          -          -          -
suggestions.vote           missing              login      404        404        404        404
suggestions.vote           named                login      -          -          -          -
suggestions.vote           other_dept           login      -          -          -          -
suggestions.withdraw       adopted              login      403        403        403        403
suggestions.withdraw       anonymous            login      403        403        403        403
suggestions.withdraw       missing              login      404        404        404        404
suggestions.withdraw       named                login      403        403        403        403
suggestions.withdraw       other_dept           login      403        403        403        403
"""
# fmt: on

#: The objects each kind of path parameter is tried with (the conftest's labels).
FORBIDDEN = {
    "group_id": (
        "open",
        "company",
        "closed_own",
        "closed_in_open",
        "closed_other",
        "closed_sub",
        "unlisted",
        "missing",
    ),
    "thread_id": (
        "open",
        "closed_own",
        "closed_in_open",
        "closed_other",
        "closed_sub",
        "unlisted",
        "missing",
    ),
    "post_id": (
        "open_question",
        "hidden",
        "deleted",
        "closed_own",
        "closed_in_open",
        "closed_other",
        "unlisted",
        "missing",
    ),
    "suggestion_id": ("named", "other_dept", "anonymous", "adopted", "missing"),
    "campaign_id": ("open", "missing"),
    "month": ("approved", "draft"),
}
#: Routes with two ids: the pairs tried.
PAIRS = {
    ("group_id", "request_id"): (("closed_own", "pending"), ("closed_other", "pending"), ("open", "pending")),
    ("group_id", "user_id"): (("closed_own", "priya"), ("open", "zoe"), ("closed_other", "zoe")),
}
#: Routes that are no object's to refuse (login, logout, language; their own tests elsewhere).
NOT_REFUSED = {
    "auth.login",
    "auth.logout",
    "core.choose_language",
    "core.read_all_notifications",
    "suggestions.receipt",
    "suggestions.receipt_answer",
    "suggestions.receipt_withdraw",
    "suggestions.receipt_claim",
}


def form_data(company: Company, role: str) -> dict[str, str]:
    """One form that every route's validation accepts, so only the permission check may refuse."""
    ids = company.ids
    return {
        "csrf_token": company.tokens[role],
        "name": "A new name",
        "description": "New words.",
        "department": "",
        "visibility": "open",
        "title": "A new title",
        "body": "New words in the body.",
        "reason": "Because.",
        "message": "Hello.",
        "username": "sanna",
        "decision": "approve",
        "target": str(ids["group_id"]["open"]),
        "post_id": str(ids["post_id"]["open_question"]),
        "pinned": "1",
        "locked": "1",
        "vote": "up",
        "follow": "1",
        "status": "under_review",
        "response": "An official answer.",
        "note": "A note.",
        "introduction": "Intro.",
        "what_was_done": "Done.",
        "version": "1",
    }


def snapshot(app: Flask) -> dict[str, list[tuple]]:
    with app.app_context():
        return {
            t.name: sorted(map(tuple, db.session.execute(select(t)).all()), key=repr)
            for t in db.metadata.sorted_tables
        }


def _paths(company: Company) -> list[tuple[str, str, str]]:
    out = []
    for rule in sorted(company.app.url_map.iter_rules(), key=lambda r: r.endpoint):
        if "POST" not in (rule.methods or ()) or rule.endpoint in NOT_REFUSED:
            continue
        names = tuple(sorted(rule.arguments))
        if len(names) == 2:
            combos = PAIRS[names]
        elif names:
            combos = tuple((label,) for label in FORBIDDEN[names[0]])
        else:
            combos = ((),)
        for combo in combos:
            path = rule.rule
            for name, label in zip(names, combo, strict=True):
                path = path.replace(f"<{name}>", str(company.ids[name][label]))
                for conv in ("int", "bigid"):
                    path = path.replace(f"<{conv}:{name}>", str(company.ids[name][label]))
            out.append((rule.endpoint, "/".join(combo) or "-", path))
    return out


def _table() -> dict[tuple[str, str], dict[str, str]]:
    table = {}
    for line in REFUSED.strip().splitlines():
        if not line.startswith("#"):
            endpoint, label, *statuses = line.split()
            table[(endpoint, label)] = dict(zip(ROLES, statuses, strict=True))
    return table


def test_posts_to_what_a_role_may_not_touch_are_refused_and_change_nothing(company: Company):
    refused = _table()
    watch = WriteWatch()
    with company.app.app_context():
        watch.attach(db.engine)
    before = snapshot(company.app)
    differences, seen = [], set()
    for endpoint, label, path in _paths(company):
        seen.add((endpoint, label))
        want = refused.get((endpoint, label))
        if want is None:
            differences.append(f"{endpoint:26} {label:20} not in the table")
            continue
        for role, expected in want.items():
            if expected == "-":
                continue
            watch.start()
            response = company.clients[role].post(path, data=form_data(company, role))
            got = status_class(response)
            if got != expected or watch.committed:
                wrote = f", wrote {sorted(set(watch.committed))}" if watch.committed else ""
                differences.append(
                    f"{endpoint:26} {label:20} {role:10} expected {expected}, got {got}{wrote}"
                )
    differences += [f"{e:26} {lbl:20} in the table but not a route" for e, lbl in set(refused) - seen]
    after = snapshot(company.app)
    changed = [t for t in after if after[t] != before[t]]
    assert not differences, "\n" + "\n".join(differences)
    assert not changed, f"tables changed: {changed}"
