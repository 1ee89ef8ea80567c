"""Demo content for `make run`: a few groups, threads and a moderation case to try things on.

Loaded once (skipped when any thread exists), after the demo staff, by `flask demo load`.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from intranet.extensions import db
from intranet.models import Department, User

from . import moderation, posting, services
from .models import Group, Thread, Visibility


def load_demo_content() -> None:
    if db.session.scalar(select(Thread.id).limit(1)) is not None:
        return
    with current_app.test_request_context():  # links in notifications need a URL adapter
        _load()


def _user(name: str) -> User:
    return db.session.scalars(select(User).where(User.username == name)).one()


def _default_group(department: str) -> Group:
    dept = db.session.scalars(select(Department).where(Department.name == department)).one()
    return db.session.scalars(select(Group).where(Group.department_id == dept.id, Group.is_default)).one()


def _load() -> None:
    services.ensure_default_groups()
    bjorn, zoe, priya, jurgen, sanna = (_user(n) for n in ("bjorn", "zoe", "priya", "jurgen", "sanna"))
    amelie, lars, chloe = _user("amelie"), _user("lars"), _user("chloe")

    engineering = _default_group("Engineering")
    question = posting.start_thread(
        zoe,
        engineering,
        title="How do I get access to the staging database?",
        body="I need read access to staging for a bug hunt. Who approves that, and is there a form?",
        is_question=True,
    )
    posting.reply(amelie, question, "I asked the same last month; I think it was a ticket to IT.")
    answer = posting.reply(
        jurgen,
        question,
        "Open an *access request* in the IT portal, category **Databases**. @zoe I'll approve it.",
    )
    posting.set_accepted_answer(question, answer)
    critique = posting.reply(
        sanna,
        question,
        "Honestly, approval takes too long. Bjørn Ødegård, can we make read access to staging the default?",
    )
    moderation.flag_post(priya, critique, "Not an answer to the question.")

    oncall = services.create_group(
        bjorn,
        name="On-call rota",
        description="Swaps, handovers and incident follow-ups. Closed: members only.",
        department=engineering.department,
        visibility=Visibility.CLOSED,
    )
    for person in (priya, jurgen):
        services.invite_member(bjorn, oncall, person)
    posting.start_thread(
        jurgen, oncall, title="Swap 14–21 December?", body="Anyone free to take my week? @priya"
    )
    services.request_to_join(zoe, oncall, "I'd like to join the rota from January.")

    services.create_group(
        bjorn, name="Frontend guild", description="", department=engineering.department, parent=engineering
    )

    company = services.create_group(
        jurgen,
        name="Office life",
        description="Canteen, coffee machines, parking and everything else at the office.",
        department=None,
        visibility=Visibility.OPEN,
    )
    posting.start_thread(chloe, company, title="Oat milk in the canteen?", body="Could we have oat milk too?")
    # People write in their own language; search stems each (try "forslagene" or "voorstellen").
    kantine = posting.start_thread(
        bjorn,
        company,
        title="Forslag om lengre åpningstid i kantinen",
        body="Kantinen stenger klokken 13, men mange i kveldsskiftet spiser senere. "
        "Kan vi holde åpent til 19 to dager i uken?",
    )
    posting.reply(
        _user("soren"), kantine, "Godt forslag! Vi i lageret har også savnet varm mad efter klokken 14."
    )
    posting.reply(
        _user("maja"), kantine, "Bra förslag. Kanske kan kantinen sälja färdiga matlådor på kvällen?"
    )
    posting.start_thread(
        _user("noah"),
        company,
        title="Voorstellen voor de fietsenstalling",
        body="De fietsenstalling is te klein: elke ochtend staan er fietsen op de stoep. "
        "Wie heeft er voorstellen voor extra plekken?",
    )

    sales = _default_group("Sales")
    pinned = posting.start_thread(
        lars,
        sales,
        title="Q1 targets and how we get there",
        body="Targets are in the shared drive. Questions here.",
    )
    moderation.set_pinned(lars, pinned, True)
