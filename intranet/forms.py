"""Field validators every domain's forms share."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
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
