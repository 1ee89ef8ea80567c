"""Field validators every domain's forms share."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.fields.core import UnboundField
from wtforms.validators import ValidationError

from .routing import MAX_BIG_ID, MAX_ID


def text_length(form: FlaskForm, field: Field) -> None:
    """The configured limit (POST_MAX_LENGTH, 20,000 characters by default), said in numbers."""
    limit = int(current_app.config["POST_MAX_LENGTH"])
    length = len((field.data or "").strip())
    if length > limit:
        raise ValidationError(
            _l("The text is %(length)d characters long; the limit is %(limit)d.", length=length, limit=limit)
        )


def not_blank(message: str) -> Callable[[FlaskForm, Field], None]:
    """Required, where whitespace alone counts as empty."""

    def check(form: FlaskForm, field: Field) -> None:
        if not (field.data or "").strip():
            raise ValidationError(message)

    return check


def row_id(form: FlaskForm, field: Field) -> None:
    """An IntegerField holding a row id (0 for none) that an INTEGER column can hold.

    (WTForms' NumberRange fails on a 400-digit number: ``math.isnan`` cannot make it a float.)
    """
    if field.data is not None and not 0 <= field.data <= MAX_ID:
        raise ValidationError(_l("The request could not be understood."))


def parse_id(value: object, *, big: bool = False) -> int | None:
    """A row id or version number typed or posted by a person: ASCII digits that fit the column
    (INTEGER; BIGINT with ``big``, for suggestion numbers), else None.

    (``str.isdigit`` is not enough: it accepts "²", which ``int`` refuses; and PostgreSQL refuses
    to compare an INTEGER column with a number it cannot hold: a 500.)
    """
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if number <= (MAX_BIG_ID if big else MAX_ID) else None


#: The highest page number a list is asked for; beyond the data a page is empty anyway.
MAX_PAGE = 100_000


def page_arg(name: str = "page") -> int:
    """The page of a list the query string asks for: 1 unless it is a positive number, at most MAX_PAGE.

    (``request.args.get("page", type=int)`` took any integer, and a page past what a 64-bit
    OFFSET holds failed in the database: a 500.)
    """
    return min(max(parse_id(request.args.get(name)) or 1, 1), MAX_PAGE)


def _drop_nul(value: object) -> object:
    """NUL cannot be stored by PostgreSQL and is never meant: drop it, keep the rest of the text."""
    return value.replace("\x00", "") if isinstance(value, str) else value


class Form(FlaskForm):
    """The base of every form: text fields lose NUL characters before validation."""

    class Meta:  # WTForms combines it with FlaskForm's Meta (CSRF) along the MRO
        def bind_field(self, form: FlaskForm, unbound_field: UnboundField, options: dict) -> Field:
            filters = unbound_field.kwargs.get("filters", ())
            return unbound_field.bind(form=form, filters=(*filters, _drop_nul), **options)
