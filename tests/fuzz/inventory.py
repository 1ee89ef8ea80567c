"""Every route of the app, with what the fuzz sends it: its form (a Flask-WTF class), the raw form
fields and query parameters its view reads. A route that is in neither ``ROUTES`` nor
``EXCLUDED`` fails ``test_every_route_is_fuzzed_or_excluded``: a new route cannot be forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from auth.forms import LoginForm
from groups.forms import (
    AcceptForm,
    DecisionForm,
    EditPostForm,
    GroupForm,
    InviteForm,
    JoinRequestForm,
    MoveForm,
    OptionalReasonForm,
    ReasonForm,
    ReplyForm,
    ThreadForm,
)
from intranet.forms import Form
from suggestions.digest.forms import DigestForm, StepForm
from suggestions.forms import (
    AdoptionForm,
    CampaignForm,
    CommentForm,
    ReceiptAnswerForm,
    ReceiptForm,
    ReceiptWithdrawForm,
    StatusForm,
    SuggestionForm,
    WithdrawForm,
)

#: Query parameters every GET page may read (``db.paginate`` reads page and per_page itself).
PAGING = ("page", "per_page")


@dataclass(frozen=True)
class Route:
    form: type[Form] | None = None
    #: Form fields the view reads from ``request.form`` itself.
    raw: tuple[str, ...] = ()
    #: Query parameters the view reads (besides PAGING on a GET).
    query: tuple[str, ...] = ()
    #: Methods that write on GET (opening a notification marks it read).
    writes_on_get: bool = False
    extra: dict[str, list[str]] = field(default_factory=dict)


ROUTES: dict[str, Route] = {
    # core
    "core.index": Route(),
    "core.departments": Route(),
    "core.notifications": Route(),
    "core.open_notification": Route(writes_on_get=True),
    "core.read_all_notifications": Route(raw=("next",)),
    "core.choose_language": Route(raw=("language", "next")),
    "core.healthz": Route(),
    "static": Route(),
    # auth
    "auth.login": Route(form=LoginForm, query=("next",)),
    "auth.profile": Route(),
    # groups
    "groups.index": Route(),
    "groups.new": Route(form=GroupForm, query=("parent",)),
    "groups.edit": Route(form=GroupForm),
    "groups.show": Route(),
    "groups.join": Route(),
    "groups.leave": Route(),
    "groups.request_join": Route(form=JoinRequestForm),
    "groups.follow": Route(),
    "groups.unfollow": Route(),
    "groups.members": Route(),
    "groups.decide": Route(form=DecisionForm, raw=("decision",)),
    "groups.invite": Route(form=InviteForm),
    "groups.appoint": Route(form=InviteForm),
    "groups.dismiss": Route(),
    "groups.remove": Route(form=OptionalReasonForm),
    "groups.ban": Route(form=ReasonForm),
    "groups.unban": Route(),
    "groups.log": Route(),
    "groups.queue": Route(),
    "groups.new_thread": Route(form=ThreadForm),
    "groups.thread": Route(),
    "groups.post": Route(),
    "groups.reply": Route(form=ReplyForm),
    "groups.follow_thread": Route(),
    "groups.unfollow_thread": Route(),
    "groups.accept": Route(form=AcceptForm),
    "groups.edit_post": Route(form=EditPostForm),
    "groups.delete_post": Route(),
    "groups.history": Route(),
    "groups.pin": Route(raw=("pinned",)),
    "groups.lock": Route(form=OptionalReasonForm, raw=("locked",)),
    "groups.move": Route(form=MoveForm),
    "groups.hide": Route(form=ReasonForm),
    "groups.confirm_hide": Route(),
    "groups.decline_hide": Route(),
    "groups.restore": Route(form=OptionalReasonForm),
    "groups.flag": Route(form=ReasonForm),
    "groups.dismiss_flags": Route(form=OptionalReasonForm),
    # suggestions
    "suggestions.index": Route(query=("sort", "status", "department", "category", "campaign")),
    "suggestions.board": Route(),
    "suggestions.new": Route(form=SuggestionForm, query=("campaign",)),
    "suggestions.show": Route(),
    "suggestions.vote": Route(raw=("vote",)),
    "suggestions.follow": Route(raw=("follow",)),
    "suggestions.comment": Route(form=CommentForm),
    "suggestions.withdraw": Route(form=WithdrawForm),
    "suggestions.change_status": Route(form=StatusForm, raw=("status",)),
    "suggestions.not_duplicate": Route(form=StatusForm),
    "suggestions.adoption": Route(form=AdoptionForm),
    "suggestions.queue": Route(),
    "suggestions.receipt": Route(form=ReceiptForm),
    "suggestions.receipt_answer": Route(form=ReceiptAnswerForm),
    "suggestions.receipt_withdraw": Route(form=ReceiptWithdrawForm),
    "suggestions.receipt_claim": Route(form=ReceiptForm),
    "suggestions.campaigns": Route(),
    "suggestions.new_campaign": Route(form=CampaignForm),
    "suggestions.campaign": Route(),
    "suggestions.close_campaign": Route(),
    # the digest
    "digest.index": Route(),
    "digest.archive_page": Route(),
    "digest.show": Route(),
    "digest.edit": Route(form=DigestForm, raw=("highlights",)),
    "digest.approve": Route(form=StepForm),
    "digest.reopen": Route(form=StepForm),
    "digest.chart": Route(),
    "digest.csv_export": Route(),
    "digest.atom": Route(query=("key",)),
    # search
    "search.index": Route(query=("q", "order")),
    "search.similar": Route(query=("title",)),
}

#: Routes the generic fuzz leaves out, each with the reason (and where it is tested instead).
EXCLUDED: dict[str, str] = {
    "auth.logout": "ends the fuzzing client's session; it takes no input but the CSRF token "
    "(tests/auth/test_login.py; test_logout_with_hostile_input_is_refused_or_logs_out here)",
}
