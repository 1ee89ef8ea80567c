"""The transition table on its own: no app, no database, no Flask.

The expected rules are written out here from the workflow as people describe it,
not read back from ``lifecycle.TRANSITIONS``, so a wrong entry in the table fails.
"""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from suggestions import lifecycle
from suggestions.lifecycle import Actor, InvalidTransition, Status

S = Status
SOURCE = Path(lifecycle.__file__)

#: Moves a reviewer makes (the official response in the same status is handled apart).
REVIEWER_MOVES = {
    (S.SUBMITTED, S.UNDER_REVIEW),
    (S.SUBMITTED, S.ACCEPTED),
    (S.SUBMITTED, S.DECLINED),
    (S.SUBMITTED, S.DUPLICATE),
    (S.UNDER_REVIEW, S.ACCEPTED),
    (S.UNDER_REVIEW, S.DECLINED),
    (S.UNDER_REVIEW, S.DUPLICATE),
    (S.ACCEPTED, S.ADOPTED),
    (S.ACCEPTED, S.DECLINED),
    (S.ACCEPTED, S.UNDER_REVIEW),
    (S.DECLINED, S.UNDER_REVIEW),  # reopened
    (S.DUPLICATE, S.SUBMITTED),  # "not a duplicate after all", back to where it was
    (S.DUPLICATE, S.UNDER_REVIEW),
}
#: The author only withdraws, and only before a decision.
AUTHOR_MOVES = {(S.SUBMITTED, S.WITHDRAWN), (S.UNDER_REVIEW, S.WITHDRAWN)}
#: Nothing more happens to these (an adopted suggestion still gets official responses).
FINAL = {S.ADOPTED, S.WITHDRAWN}


def expected_reason(current: Status, target: Status, actor: Actor) -> str | None:
    """None when allowed, else the reason ``check`` should give."""
    if current in FINAL and not (current == target == S.ADOPTED and actor == Actor.REVIEWER):
        return "final"
    if current == target:
        return None if actor == Actor.REVIEWER else "not_yours"
    if (current, target) in REVIEWER_MOVES:
        return None if actor == Actor.REVIEWER else "not_yours"
    if (current, target) in AUTHOR_MOVES:
        return None if actor == Actor.AUTHOR else "not_yours"
    return "not_allowed"


TRIPLES = list(itertools.product(Status, Status, Actor))


def test_the_table_covers_every_status() -> None:
    assert set(lifecycle.TRANSITIONS) == set(Status)
    assert len(TRIPLES) == len(Status) ** 2 * len(Actor) == 98


@pytest.mark.parametrize(("current", "target", "actor"), TRIPLES, ids=lambda v: str(v))
def test_check_allows_exactly_the_workflow(current: Status, target: Status, actor: Actor) -> None:
    reason = expected_reason(current, target, actor)
    if reason is None:
        lifecycle.check(current, target, actor)
        assert lifecycle.can(current, target, actor)
        return
    with pytest.raises(InvalidTransition) as refused:
        lifecycle.check(current, target, actor)
    assert refused.value.reason == reason
    assert (refused.value.current, refused.value.target, refused.value.actor) == (current, target, actor)
    assert not lifecycle.can(current, target, actor)


def test_the_allowed_changes_are_exactly_these() -> None:
    allowed = {(c, t, a) for c, t, a in TRIPLES if lifecycle.can(c, t, a) and c != t}
    assert allowed == {(c, t, Actor.REVIEWER) for c, t in REVIEWER_MOVES} | {
        (c, t, Actor.AUTHOR) for c, t in AUTHOR_MOVES
    }


def test_adopted_never_goes_back() -> None:
    for target in Status:
        if target != S.ADOPTED:
            with pytest.raises(InvalidTransition) as refused:
                lifecycle.check(S.ADOPTED, target, Actor.REVIEWER)
            assert refused.value.reason == "final", target
    # ... but reviewers can still answer on it (e.g. to report the actual benefits).
    lifecycle.check(S.ADOPTED, S.ADOPTED, Actor.REVIEWER)


def test_withdrawn_is_final_for_everyone() -> None:
    for target, actor in itertools.product(Status, Actor):
        with pytest.raises(InvalidTransition) as refused:
            lifecycle.check(S.WITHDRAWN, target, actor)
        assert refused.value.reason == "final"


def test_the_author_only_withdraws_before_a_decision() -> None:
    may_withdraw = {c for c in Status if lifecycle.can(c, S.WITHDRAWN, Actor.AUTHOR)}
    assert may_withdraw == {S.SUBMITTED, S.UNDER_REVIEW}
    assert {(c, t) for c, t, a in TRIPLES if a == Actor.AUTHOR and lifecycle.can(c, t, a)} == AUTHOR_MOVES
    with pytest.raises(InvalidTransition) as refused:
        lifecycle.check(S.ACCEPTED, S.WITHDRAWN, Actor.AUTHOR)
    assert refused.value.reason == "not_allowed"
    with pytest.raises(InvalidTransition) as refused:
        lifecycle.check(S.SUBMITTED, S.WITHDRAWN, Actor.REVIEWER)
    assert refused.value.reason == "not_yours"


def test_check_takes_plain_strings_and_refuses_unknown_ones() -> None:
    lifecycle.check("submitted", "under_review", "reviewer")  # type: ignore[arg-type]
    with pytest.raises(InvalidTransition) as refused:
        lifecycle.check("adopted", "submitted", "reviewer")  # type: ignore[arg-type]
    assert refused.value.current is S.ADOPTED and refused.value.reason == "final"
    with pytest.raises(ValueError):
        lifecycle.check("submitted", "approved", Actor.REVIEWER)  # type: ignore[arg-type]


def test_invalid_transition_says_what_was_refused() -> None:
    with pytest.raises(InvalidTransition) as refused:
        lifecycle.check(S.DECLINED, S.ADOPTED, Actor.REVIEWER)
    assert str(refused.value) == "declined → adopted by reviewer: not_allowed"
    assert isinstance(refused.value, Exception)


@pytest.mark.parametrize(
    ("current", "actor", "expected"),
    [
        (S.SUBMITTED, Actor.REVIEWER, [S.UNDER_REVIEW, S.ACCEPTED, S.DECLINED, S.DUPLICATE]),
        (S.SUBMITTED, Actor.AUTHOR, [S.WITHDRAWN]),
        (S.UNDER_REVIEW, Actor.REVIEWER, [S.ACCEPTED, S.DECLINED, S.DUPLICATE]),
        (S.UNDER_REVIEW, Actor.AUTHOR, [S.WITHDRAWN]),
        (S.ACCEPTED, Actor.REVIEWER, [S.ADOPTED, S.DECLINED, S.UNDER_REVIEW]),
        (S.ACCEPTED, Actor.AUTHOR, []),
        (S.DECLINED, Actor.REVIEWER, [S.UNDER_REVIEW]),
        (S.DUPLICATE, Actor.REVIEWER, [S.SUBMITTED, S.UNDER_REVIEW]),
        (S.DUPLICATE, Actor.AUTHOR, []),
        (S.ADOPTED, Actor.REVIEWER, []),
        (S.WITHDRAWN, Actor.REVIEWER, []),
        (S.WITHDRAWN, Actor.AUTHOR, []),
    ],
)
def test_targets_in_workflow_order(current: Status, actor: Actor, expected: list[Status]) -> None:
    assert lifecycle.targets(current, actor) == expected


def test_targets_agree_with_check() -> None:
    for current, actor in itertools.product(Status, Actor):
        offered = set(lifecycle.targets(current, actor))
        assert offered == {t for t in Status if t != current and lifecycle.can(current, t, actor)}
    assert lifecycle.targets("declined", Actor.REVIEWER) == [S.UNDER_REVIEW]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("previous", "expected"),
    [
        (S.SUBMITTED, S.SUBMITTED),
        (S.UNDER_REVIEW, S.UNDER_REVIEW),
        # A duplicate is only marked from submitted or under review; anything else reopens it.
        (S.ACCEPTED, S.UNDER_REVIEW),
        (S.DECLINED, S.UNDER_REVIEW),
        (S.DUPLICATE, S.UNDER_REVIEW),
        (S.ADOPTED, S.UNDER_REVIEW),
        (S.WITHDRAWN, S.UNDER_REVIEW),
    ],
)
def test_undo_target(previous: Status, expected: Status) -> None:
    assert lifecycle.undo_target(previous) == expected
    assert lifecycle.can(S.DUPLICATE, lifecycle.undo_target(previous), Actor.REVIEWER)


def test_status_groups() -> None:
    assert {S.SUBMITTED, S.UNDER_REVIEW, S.ACCEPTED} == lifecycle.OPEN
    assert lifecycle.FINAL == FINAL
    assert {S.DECLINED, S.DUPLICATE} == lifecycle.REASON_REQUIRED
    assert lifecycle.AWAITING <= lifecycle.OPEN
    assert not lifecycle.DECIDED & lifecycle.AWAITING


def test_lifecycle_imports_nothing_but_the_standard_library() -> None:
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports: the table stands alone"
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "enum", "dataclasses"}, imported


def test_lifecycle_loads_without_flask_or_sqlalchemy() -> None:
    """Loaded by path in a fresh interpreter: the package imports Flask, the module must not."""
    program = f"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location("lifecycle_alone", {str(SOURCE)!r})
module = importlib.util.module_from_spec(spec)
sys.modules["lifecycle_alone"] = module
spec.loader.exec_module(module)
module.check("submitted", "under_review", "reviewer")
heavy = ("flask", "sqlalchemy", "werkzeug", "suggestions")
heavy = sorted(m for m in sys.modules if m.split(".")[0] in heavy)
print(",".join(heavy) or "clean")
"""
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"
