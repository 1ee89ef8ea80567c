"""The editorial forms of a month's digest."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectMultipleField, TextAreaField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from intranet.forms import Form

INTRODUCTION_MAX = 5000


class DigestForm(Form):
    introduction = TextAreaField(
        _l("Introduction"),
        validators=[
            Length(max=INTRODUCTION_MAX, message=_l("Keep the introduction under %(max)d characters."))
        ],
    )
    highlights = SelectMultipleField(
        _l("Highlighted improvements"),
        coerce=int,
        choices=[],
        validate_choice=False,  # the service checks they were adopted this month
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    version = HiddenField()


class StepForm(Form):
    """Approve, or move back to draft: only the version the manager saw."""

    version = HiddenField()
