"""Forms for the suggestion box. They check shape and size; the services check the rules."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import DateField, DecimalField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from intranet.forms import Form
from intranet.forms import not_blank as _not_blank
from intranet.forms import text_length as post_length

COMPANY = "company"

#: The largest savings the adoption record's columns hold (Numeric(14, 2) and Numeric(12, 1)):
#: a larger number is refused by the form, not by the database (a 500 on PostgreSQL).
MAX_MONEY = Decimal("999999999999.99")
MAX_HOURS = Decimal("99999999999.9")

#: The categories people file suggestions under (key → label).
CATEGORIES = {
    "workplace": _l("Workplace and facilities"),
    "process": _l("Ways of working"),
    "tools": _l("Tools and IT"),
    "customers": _l("Customers and quality"),
    "safety": _l("Health and safety"),
    "environment": _l("Environment"),
    "costs": _l("Costs"),
    "other": _l("Other"),
}


def category_choices() -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in CATEGORIES.items()]


class SuggestionForm(Form):
    title = StringField(
        _l("Title"), validators=[_not_blank(_l("Give the suggestion a title.")), Length(max=200)]
    )
    body = TextAreaField(
        _l("Description"),
        validators=[_not_blank(_l("Describe the suggestion: what should change, and why?")), post_length],
    )
    target = SelectField(_l("For"), coerce=str, validate_choice=True)
    category = SelectField(_l("Category"), coerce=str, validate_choice=True)
    expected_benefit = TextAreaField(
        _l("Expected benefit (optional)"), validators=[Optional(), Length(max=2000)]
    )
    identity = RadioField(
        _l("Who you are"),
        choices=[
            SelectChoice("named", _l("Signed: everyone who can read the suggestion sees my name")),
            SelectChoice(
                "anonymous",
                _l("Anonymous: nobody sees who wrote it — not colleagues, reviewers, admins or the database"),
            ),
        ],
        default="named",
        validators=[InputRequired(_l("Choose signed or anonymous."))],
    )
    campaign = HiddenField()


class CommentForm(Form):
    body = TextAreaField(
        _l("Your comment"),
        validators=[_not_blank(_l("Write something first: the comment is empty.")), post_length],
    )
    as_question = HiddenField(default="")


class AdoptionFields(Form):
    """The adoption record's fields but "what was done", whose rule differs by form."""

    responsible = SelectField(_l("Responsible department"), coerce=str, validate_choice=False)
    estimated_money = DecimalField(
        _l("Estimated saving per year (money)"), validators=[Optional(), NumberRange(min=0, max=MAX_MONEY)]
    )
    estimated_hours = DecimalField(
        _l("Estimated hours saved per year"), validators=[Optional(), NumberRange(min=0, max=MAX_HOURS)]
    )
    actual_money = DecimalField(
        _l("Actual saving per year (money)"), validators=[Optional(), NumberRange(min=0, max=MAX_MONEY)]
    )
    actual_hours = DecimalField(
        _l("Actual hours saved per year"), validators=[Optional(), NumberRange(min=0, max=MAX_HOURS)]
    )
    benefit_notes = TextAreaField(_l("Benefits without a number"), validators=[Optional(), Length(max=5000)])


class StatusForm(AdoptionFields):
    status = SelectField(_l("New status"), coerce=str, validate_choice=True)
    response = TextAreaField(
        _l("Official response (shown to everyone)"),
        validators=[_not_blank(_l("Write the official response: it is shown to everyone.")), post_length],
    )
    duplicate_of = StringField(_l("Duplicate of (suggestion number)"), validators=[Length(max=40)])
    version = HiddenField(validators=[InputRequired()])
    # The adoption record's fields are inherited: they count only when the new status is "adopted".
    what_was_done = TextAreaField(_l("What was done"), validators=[Optional(), Length(max=5000)])

    def validate_duplicate_of(self, field: StringField) -> None:
        text = (field.data or "").strip()
        if self.status.data == "duplicate" and not (text.isascii() and text.isdigit()):
            raise ValidationError(_l("Give the number of the original suggestion."))

    def validate_what_was_done(self, field: TextAreaField) -> None:
        if self.status.data == "adopted" and not (field.data or "").strip():
            raise ValidationError(_l("Say what was done: adoption needs a record."))


class AdoptionForm(AdoptionFields):
    what_was_done = TextAreaField(
        _l("What was done"), validators=[_not_blank(_l("Say what was done.")), Length(max=5000)]
    )


class WithdrawForm(Form):
    note = TextAreaField(
        _l("Why you withdraw it (optional, shown to everyone)"), validators=[Optional(), Length(max=2000)]
    )
    version = HiddenField(validators=[InputRequired()])


class ReceiptForm(Form):
    receipt = StringField(
        _l("Receipt code"),
        validators=[_not_blank(_l("Enter the receipt code you were given.")), Length(max=80)],
    )


class ReceiptAnswerForm(ReceiptForm):
    body = TextAreaField(
        _l("Your answer (anonymous)"),
        validators=[_not_blank(_l("Write something first: the answer is empty.")), post_length],
    )


class ReceiptWithdrawForm(ReceiptForm):
    note = TextAreaField(
        _l("Why you withdraw it (optional, shown to everyone)"), validators=[Optional(), Length(max=2000)]
    )


class CampaignForm(Form):
    title = StringField(
        _l("Question"),
        validators=[_not_blank(_l("Ask the question the campaign is about.")), Length(max=200)],
    )
    description = TextAreaField(_l("More about it (optional)"), validators=[Optional(), Length(max=5000)])
    target = SelectField(_l("Asked of"), coerce=str, validate_choice=True)
    closes_on = DateField(
        _l("Closes at the end of"), validators=[InputRequired(_l("Give the closing date."))]
    )
