"""Field validators every domain's forms share."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.fields.core import UnboundField
from wtforms.validators import ValidationError


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


def parse_id(value: object) -> int | None:
    """A row id or version number typed or posted by a person: ASCII digits that fit a BIGINT, else None.

    (``str.isdigit`` is not enough: it accepts "²", which ``int`` refuses.)
    """
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return int(text)


def _drop_nul(value: object) -> object:
    """NUL cannot be stored by PostgreSQL and is never meant: drop it, keep the rest of the text."""
    return value.replace("\x00", "") if isinstance(value, str) else value


class Form(FlaskForm):
    """The base of every form: text fields lose NUL characters before validation."""

    class Meta:  # WTForms combines it with FlaskForm's Meta (CSRF) along the MRO
        def bind_field(self, form: FlaskForm, unbound_field: UnboundField, options: dict) -> Field:
            filters = unbound_field.kwargs.get("filters", ())
            return unbound_field.bind(form=form, filters=(*filters, _drop_nul), **options)
