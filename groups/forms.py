"""Forms for groups, threads, posts and moderation. They check shape and size, never the database."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from intranet.forms import Form, row_id
from intranet.forms import not_blank as _not_blank
from intranet.forms import text_length as post_length

INHERIT = "inherit"


class GroupForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the group a name.")), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    department = SelectField(_l("Department"), coerce=str, validate_choice=True)
    visibility = SelectField(
        _l("Who can read it"),
        choices=[
            SelectChoice("open", _l("Open: every employee reads, joins and posts")),
            SelectChoice("closed", _l("Closed: only members read and post; others may ask to join")),
        ],
    )
    is_unlisted = BooleanField(_l("Unlisted: a closed group that only its members see in lists"))
    inherits_moderators = BooleanField(_l("Moderated also by the parent group's moderators"), default=True)


class ThreadForm(Form):
    title = StringField(_l("Title"), validators=[_not_blank(_l("Give the thread a title.")), Length(max=200)])
    body = TextAreaField(
        _l("Message"), validators=[_not_blank(_l("Write something first: the post is empty.")), post_length]
    )
    is_question = BooleanField(_l("This is a question: an answer can be marked as accepted"))


class ReplyForm(Form):
    body = TextAreaField(
        _l("Your reply"),
        validators=[_not_blank(_l("Write something first: the post is empty.")), post_length],
    )


class EditPostForm(Form):
    body = TextAreaField(
        _l("Message"), validators=[_not_blank(_l("Write something first: the post is empty.")), post_length]
    )
    version = HiddenField(validators=[InputRequired()])


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[_not_blank(_l("Give a reason.")), Length(max=1000)])


class OptionalReasonForm(Form):
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=1000)])


class JoinRequestForm(Form):
    message = TextAreaField(
        _l("Message to the moderators (optional)"), validators=[Optional(), Length(max=1000)]
    )


class DecisionForm(Form):
    message = TextAreaField(_l("Message to the person (optional)"), validators=[Optional(), Length(max=1000)])


class InviteForm(Form):
    username = StringField(
        _l("User name of the colleague to add"),
        validators=[_not_blank(_l("Give a user name.")), Length(max=256)],
    )


class MoveForm(Form):
    target = SelectField(_l("Move to group"), coerce=int, validate_choice=True)
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=1000)])


class AcceptForm(Form):
    post_id = IntegerField(validators=[InputRequired(), row_id])


def visibility_choices(is_subgroup: bool) -> list[SelectChoice]:
    choices = list(GroupForm.visibility.kwargs["choices"])
    if is_subgroup:
        choices.insert(0, SelectChoice(INHERIT, _l("Same as the parent group")))
    return choices
