"""Web forms, rendered one way: WTForms fields with the govuk-frontend-wtf widgets.

Forms only parse and say what is wrong with the shape of the input ("Enter a title"). Business rules
(who may act, guards, thresholds) live in the core; its ``InvalidInput`` errors are copied back onto the
form's fields by ``apply_errors`` so they show in the same GOV.UK error summary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import wtforms
from flask import flash, redirect, request
from flask_wtf import FlaskForm
from govuk_frontend_wtf.main import wtforms_errors
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovDateInput,
    GovFileInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from markupsafe import Markup, escape
from werkzeug.wrappers import Response
from wtforms import (
    DateField,
    Field,
    FileField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    SubmitField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..core import Core
from ..errors import ChangedMeanwhile, DomainError, InvalidInput
from ..governance.calendar import implausible
from ..governance.organisation import JOINT
from ..governance.statutory import DirectAwardGround, Regime, Route
from ..models.people import Colleague
from ..services.people import MIN_PASSWORD
from ..workflow.definitions import InputSpec
from ..workflow.engine import AvailableAction

VAT_CHOICES = [
    ("standard", "Standard rate (20%)"),
    ("reduced", "Reduced rate (5%)"),
    ("zero", "Zero-rated"),
    ("exempt", "Exempt"),
]
CONTRACT_TYPES = [
    ("goods", "Goods"),
    ("services", "Services"),
    ("works", "Works"),
    ("light_touch", "Light-touch services (for example social care)"),
]


class _LeftOutIsEmpty:
    """Text left out of a post reads as empty, as a browser sends an empty box, never as None: views and
    services read every text answer as a string (a form posted by a script that left one out failed on it)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if not valuelist:
            self.data = ""


# The text fields every form here uses: WTForms' own, with text left out read as empty.
class StringField(_LeftOutIsEmpty, wtforms.StringField):
    pass


class TextAreaField(_LeftOutIsEmpty, wtforms.TextAreaField):
    pass


class PasswordField(_LeftOutIsEmpty, wtforms.PasswordField):
    pass


class HiddenField(_LeftOutIsEmpty, wtforms.HiddenField):
    pass


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


class ChoiceField(SelectField):
    """A select whose "not one of the options" error says what to do, in the field's own words."""

    def __init__(self, label=None, validators=None, *, invalid: str = "Choose one of the options", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid = invalid

    def pre_validate(self, form):
        if self.data not in {choice.value for choice in self.choices if choice.value}:
            raise ValidationError(self.invalid)


class GovShortInput(GovTextInput):
    """A GOV.UK text input sized to its answer, with a prefix or suffix ("£", "months") and the keypad that
    suits it: a money or a count box no wider than what goes in it."""

    def __init__(self, width: int, *, prefix: str = "", suffix: str = "", inputmode: str = "numeric") -> None:
        super().__init__()
        self.width, self.prefix, self.suffix, self.inputmode = width, prefix, suffix, inputmode

    def map_gov_params(self, field, **kwargs):
        params = super().map_gov_params(field, **kwargs)
        params.update(classes=f"govuk-input--width-{self.width}", inputmode=self.inputmode, spellcheck=False)
        if self.prefix:
            params["prefix"] = {"text": self.prefix}
        if self.suffix:
            params["suffix"] = {"text": self.suffix}
        return params


class GovSuggestingInput(GovTextInput):
    """A GOV.UK text input whose likely answers the browser offers as they are typed (an HTML datalist): the
    answer is still typed, and may be another."""

    def __init__(self, suggested: tuple[str, ...]) -> None:
        super().__init__()
        self.suggested = suggested

    def map_gov_params(self, field, **kwargs):
        params = super().map_gov_params(field, **kwargs)
        params.setdefault("attributes", {})["list"] = f"{field.id}-suggestions"
        return params

    def __call__(self, field, **kwargs):
        listed = "".join(f'<option value="{escape(answer)}"></option>' for answer in self.suggested)
        return Markup(f'{super().__call__(field, **kwargs)}<datalist id="{field.id}-suggestions">{listed}</datalist>')


def money_input() -> GovShortInput:
    return GovShortInput(10, prefix="£", inputmode="decimal")


class PersonField(ChoiceField):
    """Choose a colleague: a select that the browser turns into a type-ahead (accessible-autocomplete, in
    init.js), so a council of thousands is a few letters, not a long list. Without JavaScript it stays a
    select. Fill it with ``colleague_options``."""

    def __init__(self, label=None, validators=None, *, invalid: str = "Choose a colleague from the list", **kwargs):
        kwargs.setdefault("render_kw", {"data-hub-autocomplete": "person"})
        super().__init__(label, validators, invalid=invalid, widget=GovSelect(), **kwargs)


def colleague_options(people: list[Colleague], prompt: str = "Choose a colleague") -> list[SelectChoice]:
    """A ``PersonField``'s choices: "Name (job title)", with the email added where two people would read the
    same, because the type-ahead picks by the words shown."""
    labels = [f"{p.full_name} ({p.job_title})" if p.job_title else p.full_name for p in people]
    repeated = {label for label, count in Counter(labels).items() if count > 1}
    shown = [f"{label}, {p.email}" if label in repeated else label for p, label in zip(people, labels, strict=True)]
    return options([("", prompt), *((str(p.id), label) for p, label in zip(people, shown, strict=True))])


class _UnpaddedDateInput(GovDateInput):
    """GOV.UK's day, month and year boxes showing a date as people write it: 3 12 2026, not 03 12 2026."""

    def map_gov_params(self, field, **kwargs):
        params = super().map_gov_params(field, **kwargs)
        if field.raw_data is None and field.data:
            for item, part in zip(params["items"], (field.data.day, field.data.month, field.data.year), strict=True):
                item["value"] = str(part)
        return params


class GovDate(DateField):
    """A GOV.UK day, month and year date. A POST missing any of the three parts is an error, not a crash."""

    widget = _UnpaddedDateInput()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%d %m %Y", **kwargs)

    def process_formdata(self, valuelist):
        # The widget redisplays exactly three parts: pad or cut what a hand-made POST sent.
        self.raw_data = valuelist = [*list(valuelist)[:3], *[""] * (3 - len(valuelist[:3]))]
        if not any(v.strip() for v in valuelist):
            self.data = None
            return
        if not all(v.strip().isdigit() for v in valuelist):
            self.data = None
            raise ValueError(f"{self.label.text} must be a real date, like 31 3 2027")
        day, month, year = (int(v) for v in valuelist)
        try:
            self.data = date(year, month, day)
        except ValueError:
            self.data = None
            raise ValueError(f"{self.label.text} must be a real date, like 31 3 2027") from None
        if problem := implausible(self.data):  # as the engine's door says of its own dates, for every form
            self.data = None
            raise ValueError(f"{self.label.text}: {problem}")

    def _value(self):
        return self.data.strftime("%d %m %Y") if self.data else ""


def error_summary(form: FlaskForm) -> dict:
    """The GOV.UK error summary's parameters; a date's link goes to its day input, as the pattern asks."""
    params = wtforms_errors(form)
    dates = {f"#{field.id}": f"#{field.name}-day" for field in form if isinstance(field, GovDate)}
    for item in params["errorList"]:
        item["href"] = dates.get(item["href"], item["href"])
    return params


def supplier_answers(form: FlaskForm) -> dict[str, Any]:
    """The supplier as a form asking ``TenderForm``'s four questions about it gives it (a tender, a request to
    participate, an application to a dynamic market): the fields of a ``SupplierAsGiven``'s dataclass."""
    return {
        "supplier_name": form.supplier_name.data,
        "supplier_registration": form.supplier_registration.data or "",
        "supplier_is_sme": form.supplier_is_sme.data == "yes",
        "supplier_is_vcse": form.supplier_is_vcse.data == "yes",
        "supplier_ppon": form.supplier_ppon.data or "",
    }


def apply_errors(form: FlaskForm, fields: dict[str, str]) -> None:
    """Show the core's field errors on the form; a field the form does not have goes on the first field."""
    for name, message in fields.items():
        field = getattr(form, name, None)
        if field is None or not hasattr(field, "errors") or name in ("submit", "csrf_token"):
            field = next(f for f in form if f.name not in ("csrf_token",))
        field.errors = [*list(field.errors or []), message]


def change_from(
    form: FlaskForm,
    change: Callable[[], str],
    *,
    back: str,
    refused_back: str | None = None,
    fields: Mapping[str, str] | None = None,
) -> Response | None:
    """For a submitted, valid ``form``: make ``change`` (it returns what to tell the person) and go ``back``.
    A problem with a field goes on the form, to be shown again (None), under the form's name for it where
    ``fields`` maps the service's names to the form's; a form someone else saved meanwhile is shown afresh,
    with that said; any other refusal is told, and goes to ``refused_back`` (default ``back``). None also when
    the form was not sent or not valid."""
    if not form.validate_on_submit():
        return None
    try:
        told = change()
    except InvalidInput as error:
        apply_errors(form, {(fields or {}).get(name, name): problem for name, problem in error.fields.items()})
        return None
    except ChangedMeanwhile as error:  # the form again, as it stands after the other person's save
        flash(error.message, "error")
        return redirect(request.full_path)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(refused_back or back)
    flash(told)
    return redirect(back)


def pressed(change: Callable[[], str], *, back: str) -> Response:
    """A button's POST (a form carrying only its CSRF token): make ``change`` (it returns what to tell the
    person) and go ``back``, saying what was done or why it was refused."""
    if ActionForm().validate_on_submit():
        try:
            flash(change())
        except DomainError as error:
            flash(error.message, "error")
    return redirect(back)


class SignInForm(FlaskForm):
    username = StringField("Username", widget=GovTextInput(), validators=[InputRequired(message="Enter your username")])
    password = PasswordField(
        "Password", widget=GovPasswordInput(), validators=[InputRequired(message="Enter your password")]
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class ForgottenPasswordForm(FlaskForm):
    account = StringField(
        "Username or email address",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter your username or email address")],
    )
    submit = SubmitField("Send me a link", widget=GovSubmitInput())


class SecurityCodeForm(FlaskForm):
    code = StringField(
        "Security code",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter the security code")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class LinkApprovalForm(FlaskForm):
    """An approval from an email's link: the security code is asked (and so checked) only of someone who
    uses codes and is not signed in here."""

    code = StringField(
        "Security code",
        widget=GovTextInput(),
        description="You use security codes: enter the one your authenticator app shows, or a recovery code.",
    )


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        widget=GovPasswordInput(),
        description=f"At least {MIN_PASSWORD} characters. A few words you will remember make a strong one.",
        validators=[InputRequired(message="Enter a new password")],
    )
    confirmation = PasswordField(
        "Confirm the new password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter the new password again")],
    )
    submit = SubmitField("Set the password", widget=GovSubmitInput())


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        "Current password", widget=GovPasswordInput(), validators=[InputRequired(message="Enter your current password")]
    )
    submit = SubmitField("Change the password", widget=GovSubmitInput())


# --- starting a request ------------------------------------------------------------------------------


class AboutRequestForm(FlaskForm):
    stage = RadioField(
        "What do you need to start?",
        widget=GovRadioInput(),
        choices=options(
            [
                ("procurement", "A procurement: buy goods, services or works for a need that is already agreed"),
                ("commissioning", "A commissioning case: agree the need, options and business case first"),
            ]
        ),
        validators=[InputRequired(message="Choose whether this is a procurement or a commissioning case")],
    )
    title = StringField(
        "Title",
        widget=GovTextInput(),
        description="A short name a colleague would recognise, like 'Home to school transport 2027'",
        validators=[DataRequired(message="Enter a title for the request"), Length(max=200)],
    )
    description = TextAreaField(
        "Describe the need",
        widget=GovCharacterCount(),
        description="What is needed, for whom, and what happens if it is not bought",
        validators=[DataRequired(message="Describe the need"), Length(max=5000)],
    )
    authority = RadioField(
        "Which council is this for?",
        widget=GovRadioInput(),
        validators=[InputRequired(message="Choose the council, or joint")],
    )
    category = ChoiceField(
        "Category",
        invalid="Choose a category",
        widget=GovSelect(),
        description="Categories are grouped by pillar",
        validators=[InputRequired(message="Choose a category")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def fill_choices(self, core: Core, authorities: set[str]) -> None:
        self.authority.choices = council_choices(core, authorities)
        self.category.choices = options([("", "Choose a category")] + core.governance.organisation.category_choices)


def council_choices(core: Core, authorities: set[str]) -> list:
    """The councils a person works for (``authorities``), and the two jointly, as a form's choices."""
    org = core.governance.organisation
    choices = [(code, org.authority_name(code)) for code in org.authorities if code in authorities]
    return options([*choices, (JOINT, org.joint_name)] if authorities else choices)


class ValueForm(FlaskForm):
    estimated_value = StringField(
        "Estimated total value, excluding VAT",
        widget=money_input(),
        description="In pounds, over the whole term including any options and extensions, like 250000",
        validators=[InputRequired(message="Enter an estimated value in pounds, like 25000 or 25000.50")],
    )
    vat_treatment = RadioField(
        "VAT treatment",
        widget=GovRadioInput(),
        choices=options(VAT_CHOICES),
        validators=[InputRequired(message="Choose the VAT treatment")],
    )
    contract_type = RadioField(
        "Contract type",
        widget=GovRadioInput(),
        choices=options(CONTRACT_TYPES),
        validators=[InputRequired(message="Choose the contract type")],
    )
    proposed_start = GovDate(
        "Proposed start date",
        description="For example, 1 4 2027",
        validators=[InputRequired(message="Enter a proposed start date")],
    )
    duration_months = StringField(
        "Duration in months",
        description="Including extension options, like 36",
        validators=[InputRequired(message="Enter the duration as a whole number of months, like 36")],
        widget=GovShortInput(3, suffix="months"),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def validate_proposed_start(self, field):
        if field.data and field.data < date(2000, 1, 1):
            raise ValidationError("The proposed start date must be after 2000")


RECOMMENDED = "recommended"  # the route the council's rules set for the value: decided when it is submitted
EVERY_ROUTE = [route.value for route in Route]


class RouteForm(FlaskForm):
    """How a procurement will be bought: the route its value calls for, another open to it, or a direct award
    on one of the Act's grounds (asked only then)."""

    route = RadioField(
        "How will it be bought?",
        widget=GovRadioInput(),
        validators=[InputRequired(message="Choose how it will be bought")],
    )
    direct_award_ground = RadioField(
        "On which ground may it be awarded directly?",
        widget=GovRadioInput(),
        description="For a direct award only. The Procurement Act 2023 allows a contract to be awarded without "
        "competition on one of these grounds alone (section 41 and Schedule 5, or section 43)",
        choices=options([(ground.value, ground.label) for ground in DirectAwardGround]),
        validators=[Optional()],
    )
    direct_award_justification = TextAreaField(
        "Why does the ground apply to this purchase?",
        widget=GovTextArea(),
        description="For a direct award only: the facts its approvers, and the transparency notice, rely on",
        validators=[Length(max=5000)],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def fill_route_choices(self, recommended: str | None, allowed: list[str], contract_type: str | None) -> None:
        """``recommended`` first, as the rules' choice, then the other routes ``allowed``; without a
        recommendation (a request whose value may still change), every route. The direct award grounds open
        to ``contract_type`` (every one while it may still change)."""
        first = (
            f"{Route.label_of(recommended)}: the route the council's rules set for its value"
            if recommended
            else ("The route the council's rules set for its value, when it is submitted")
        )
        others = [code for code in allowed if code != recommended]
        self.route.choices = options([(RECOMMENDED, first)] + [(code, Route.label_of(code)) for code in others])
        grounds = DirectAwardGround.open_to(contract_type)
        self.direct_award_ground.choices = options([(ground.value, ground.label) for ground in grounds])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if "route" not in self or self.route.data != Route.DIRECT_AWARD:  # a commissioning case's edit asks no route
            return valid
        for field, message in (
            (self.direct_award_ground, "Choose the ground for the direct award"),
            (self.direct_award_justification, "Say why the ground applies to this purchase"),
        ):
            if not (field.data or "").strip():
                field.errors = [*field.errors, message]
                valid = False
        ground = DirectAwardGround.of(self.direct_award_ground.data)
        # The edit page asks the contract type on the same page (the route page offers only the grounds open
        # to the type its previous page gave).
        kind = self.contract_type.data if "contract_type" in self and not self.contract_type.errors else None
        if ground and kind and (refused := ground.refused_for(kind)):
            self.direct_award_ground.errors = [*self.direct_award_ground.errors, refused]
            valid = False
        return valid

    def route_answers(self) -> dict[str, str | None]:
        """The route (None: the rules' choice) and, for a direct award, its ground and why."""
        direct = self.route.data == Route.DIRECT_AWARD
        return {
            "route": None if self.route.data == RECOMMENDED else self.route.data,
            "direct_award_ground": (self.direct_award_ground.data or "") if direct else "",
            "direct_award_justification": (self.direct_award_justification.data or "").strip() if direct else "",
        }


class FundingForm(FlaskForm):
    funding = TextAreaField(
        "How is it funded?",
        widget=GovTextArea(),
        description="The budget and cost centre, and whether the funding is confirmed",
        validators=[DataRequired(message="Say how the request is funded"), Length(max=2000)],
    )
    justification = TextAreaField(
        "Why is it needed now?",
        widget=GovTextArea(),
        description="The reason for buying, and for the timing",
        validators=[DataRequired(message="Give a justification for the request"), Length(max=5000)],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


# --- acting on a case ---------------------------------------------------------------------------------
class ActionForm(FlaskForm):
    """An action on a case; carries the version the page showed, so a stale page is caught."""

    version = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())
    # The follow-up questions revealed under each yes-or-no question's "Yes" (``InputSpec.under``).
    reveals: dict[str, tuple[str, ...]] = {}


def input_field(spec: InputSpec) -> Field:
    """The form field that asks a workflow input: by its type, with its label, hint and checks."""
    required = [] if spec.optional else [InputRequired(message=spec.unanswered)]
    # A follow-up is asked under a yes; it is optional only in that another follow-up may answer instead. One
    # needed on some cases (``required_when``) is not called optional: its hint says when it is needed.
    label = f"{spec.label} (optional)" if spec.optional and not (spec.under or spec.required_when) else spec.label
    hint = spec.hint
    if spec.type == "date":
        return GovDate(label, validators=required or [Optional()], description=hint)
    if spec.type in ("boolean", "choice"):
        answers = [("yes", "Yes"), ("no", "No")] if spec.type == "boolean" else spec.options
        # Optional() also clears RadioField's own "Not a valid choice" for a question left unanswered.
        return RadioField(
            label,
            widget=GovRadioInput(),
            description=hint,
            choices=options(answers),
            validators=required or [Optional()],
        )
    if spec.type in ("text", "line"):
        longest = Length(max=spec.max_length, message=f"{spec.label} must be {spec.max_length} characters or fewer")
        if spec.type == "text":
            return TextAreaField(label, widget=GovTextArea(), description=hint, validators=[*required, longest])
        return StringField(
            label,
            widget=GovSuggestingInput(spec.suggested) if spec.suggested else GovTextInput(),
            description=hint,
            validators=[*required, longest],
        )
    money = spec.type == "money"
    written = "In pounds, like 25000 or 25000.50" if money else "A whole number, like 12"
    return StringField(
        label,
        widget=money_input() if money else GovShortInput(4),
        description=f"{hint}. {written}" if hint else written,
        validators=required,
    )


def action_form_class(action: AvailableAction) -> type[ActionForm]:
    """A form for one action: a field per input the workflow asks for, and a reason where one is required."""
    attributes: dict = {spec.name: input_field(spec) for spec in action.inputs}
    reveals: dict[str, list[str]] = {}
    for spec in action.inputs:
        if spec.under:
            reveals.setdefault(spec.under, []).append(spec.name)
    # After the action's own questions: a form's fields come in the order they were made.
    attributes["comment"] = TextAreaField("Comment (optional)", widget=GovTextArea(), validators=[Length(max=5000)])
    if action.reason_required:
        attributes["reason"] = TextAreaField(
            "Reason",
            widget=GovTextArea(),
            validators=[DataRequired(message=f"Give a reason to {action.label.lower()}"), Length(max=5000)],
        )
    attributes["submit"] = SubmitField(action.label, widget=GovSubmitInput())
    attributes["reveals"] = {question: tuple(names) for question, names in reveals.items()}
    return type(f"{action.trigger.title().replace('_', '')}Form", (ActionForm,), attributes)


def answered_yes(answer: str | None) -> bool | None:
    """A yes-or-no radio's answer, None where it was not answered (or not asked)."""
    return None if answer is None else answer == "yes"


def action_inputs(form: FlaskForm, asked: Sequence[InputSpec]) -> dict:
    """The answers to the workflow inputs ``asked`` (an action's) from a validated form, in the shapes the
    engine parses. A follow-up typed in and then hidden again by a "No" is not an answer."""
    values = {}
    for spec in asked:
        value = form[spec.name].data
        if spec.type == "boolean":
            value = answered_yes(value)
        if value not in (None, "") and (spec.under is None or values.get(spec.under) is True):
            values[spec.name] = value
    return values


def _conflict_question(*validators) -> RadioField:
    return RadioField(
        "Do you have a conflict of interest in this case?",
        widget=GovRadioInput(),
        description="A financial or personal interest in a supplier, or anything that could look like one "
        "(Procurement Act 2023, section 81)",
        choices=options([("no", "No, I have no conflict of interest"), ("yes", "Yes, I have a conflict to declare")]),
        validators=list(validators),
    )


class DeclarationForm(FlaskForm):
    """A person's declaration of interests in a case: on its own page, and with a decision."""

    has_conflict = _conflict_question(InputRequired(message="Say whether you have a conflict of interest"))
    conflict_details = TextAreaField("Describe the conflict", widget=GovTextArea(), validators=[Length(max=5000)])
    mitigation = TextAreaField(
        "How is it mitigated?",
        widget=GovTextArea(),
        description="Without a mitigation you cannot decide, evaluate or work on this case",
        validators=[Length(max=5000)],
    )
    submit = SubmitField("Record my declaration", widget=GovSubmitInput())


class DecisionForm(DeclarationForm):
    # The last event of the case the page showed: a committee member's decision still counts when only fellow
    # members' approvals and declarations came after it (``ActionRequest.seen_through``).
    seen_through = HiddenField()
    # Asked once: someone whose declaration is on record answers again only if it changed.
    has_conflict = _conflict_question(Optional())
    outcome = RadioField(
        "Your decision",
        widget=GovRadioInput(),
        choices=options(
            [
                ("approve", "Approve"),
                ("return", "Return for rework"),
                ("reject", "Reject"),
                ("request_info", "Ask the requester for more information"),
            ]
        ),
        validators=[InputRequired(message="Choose your decision")],
    )
    reason = TextAreaField(
        "Reason or comment",
        widget=GovCharacterCount(),
        description="Needed to reject, return or ask for information; it is shown to the requester",
        validators=[Length(max=5000)],
    )
    submit = SubmitField("Record my decision", widget=GovSubmitInput())

    def asking(self, whom: str) -> None:
        """A question, a return or a rejection reaches ``whom`` (named: a contract's manager, whoever put forward
        what is decided), not only "the requester"."""
        self.outcome.choices = options(
            (choice.value, f"Ask {whom} for more information" if choice.value == "request_info" else choice.label)
            for choice in self.outcome.choices
        )
        self.reason.description = f"Needed to reject, return or ask for information; it is shown to {whom}"

    def recorded(self) -> None:
        """The gate's decision may have a written record made, which the council publishes: said where the
        comment is written, which goes into it."""
        self.reason.description += (
            ". Where approving takes a decision whose written record the law has the council publish (an award or "
            "spending over the council's figure, an Executive decision), your name, role and comment go into that "
            "record"
        )


class DelegationForm(FlaskForm):
    delegate = PersonField("Who covers your approvals?", validators=[InputRequired(message="Choose a delegate")])
    starts_on = GovDate("First day away", validators=[InputRequired(message="Enter the first day you are away")])
    ends_on = GovDate("Last day away", validators=[InputRequired(message="Enter the last day you are away")])
    reason = StringField("Reason (optional)", widget=GovTextInput(), validators=[Length(max=200)])
    submit = SubmitField("Set up cover", widget=GovSubmitInput())


def _published_on(label: str = "When was it published on Find a Tender?", *, what: str = "notice") -> GovDate:
    return GovDate(
        label,
        description="For example, 3 12 2026",
        validators=[InputRequired(message=f"Enter the date the {what} was published")],
    )


def _notice_id() -> StringField:
    return StringField(
        "Its notice identifier (optional)",
        widget=GovTextInput(),
        description="As Find a Tender shows it, like 012345-2026",
        validators=[Length(max=40, message="Keep the notice identifier to 40 characters")],
    )


class RecordNoticeForm(FlaskForm):
    published_on = _published_on()
    notice_id = _notice_id()
    submit = SubmitField("Record the notice", widget=GovSubmitInput())


def kpis_form_class(rows: int, *, exemption: bool = False) -> type[FlaskForm]:
    """A contract's KPIs: a name, and how it is measured with its target, for each of ``rows``; with
    ``exemption``, the reason there are none (before a contract is signed)."""
    attributes: dict = {}
    for n in range(1, rows + 1):
        attributes[f"kpi_{n}_name"] = StringField(
            f"KPI {n}",
            widget=GovTextInput(),
            validators=[Length(max=200, message=f"Keep KPI {n}'s name to 200 characters")],
        )
        attributes[f"kpi_{n}_target"] = StringField(
            f"How KPI {n} is measured, and its target",
            widget=GovTextInput(),
            validators=[Length(max=500, message=f"Keep KPI {n}'s target to 500 characters")],
        )
    if exemption:
        attributes["exemption"] = TextAreaField(
            "Or, with no KPIs: why the supplier's performance could not appropriately be assessed by them",
            widget=GovTextArea(),
            validators=[Length(max=500, message="Keep the reason to 500 characters")],
        )
    attributes["submit"] = SubmitField("Save the KPIs", widget=GovSubmitInput())
    return type("KpisForm", (FlaskForm,), attributes)


def kpi_form_data(kpis) -> dict[str, str]:
    """A KPI form's fields filled with ``kpis``, (name, target) pairs in order."""
    data: dict[str, str] = {}
    for n, (name, target) in enumerate(kpis, start=1):
        data |= {f"kpi_{n}_name": name, f"kpi_{n}_target": target}
    return data


def kpi_rows(form: FlaskForm) -> list[tuple[str, str]]:
    """The (name, target) pairs a KPI form was sent with, blank rows included (the service leaves them out)."""
    rows, n = [], 1
    while f"kpi_{n}_name" in form:
        rows.append((form[f"kpi_{n}_name"].data or "", form[f"kpi_{n}_target"].data or ""))
        n += 1
    return rows


def assessment_form_class(kpis: list, ratings: list[tuple[str, str]]) -> type[FlaskForm]:
    """An assessment against each of ``kpis`` (a rating and a comment each), the period, and its notice."""
    attributes: dict = {
        "period_starts": GovDate(
            "First day of the period assessed", validators=[InputRequired(message="Enter the first day of the period")]
        ),
        "period_ends": GovDate(
            "Last day of the period assessed", validators=[InputRequired(message="Enter the last day of the period")]
        ),
    }
    for kpi in kpis:
        attributes[f"rating_{kpi.id}"] = RadioField(
            kpi.name,
            widget=GovRadioInput(),
            description=kpi.target,
            choices=options(ratings),
            validators=[InputRequired(message=f"Rate the supplier against '{kpi.name}'")],
        )
        attributes[f"comment_{kpi.id}"] = TextAreaField(
            f"Comment on '{kpi.name}' (optional)", widget=GovTextArea(), validators=[Length(max=2000)]
        )
    attributes["published_on"] = _published_on(
        "When was the contract performance notice published on Find a Tender?", what="contract performance notice"
    )
    attributes["notice_id"] = _notice_id()
    attributes["submit"] = SubmitField("Record the assessment", widget=GovSubmitInput())
    return type("AssessmentForm", (FlaskForm,), attributes)


# What an editing form was opened on (a fingerprint of what it showed), so that a save after someone else's is
# refused rather than undoing theirs unseen.
OPENED_ON = HiddenField()


def award_criteria_form_class(rows: int, kinds: Mapping[str, str]) -> type[FlaskForm]:
    """A procurement's award criteria: a name, a kind (``kinds``: quality, social value, price) and a weighting
    for each of ``rows``."""
    attributes: dict = {}
    for n in range(1, rows + 1):
        attributes[f"criterion_{n}_name"] = StringField(
            f"Criterion {n}",
            widget=GovTextInput(),
            validators=[Length(max=200, message=f"Keep criterion {n}'s name to 200 characters")],
        )
        attributes[f"criterion_{n}_kind"] = SelectField(
            f"What criterion {n} assesses",
            widget=GovSelect(),
            choices=options([("", "Choose"), *kinds.items()]),
            validate_choice=False,  # the service says which row's kind is missing or unknown
        )
        attributes[f"criterion_{n}_weighting"] = StringField(
            f"Criterion {n}'s weighting", widget=GovShortInput(3, suffix="%")
        )
        attributes[f"criterion_{n}_minimum"] = StringField(
            f"Criterion {n}'s minimum score (optional)", widget=GovShortInput(2)
        )
    attributes["submit"] = SubmitField("Save the award criteria", widget=GovSubmitInput())
    attributes["opened_on"] = OPENED_ON
    return type("AwardCriteriaForm", (FlaskForm,), attributes)


CRITERION_PARTS = ("name", "kind", "weighting", "minimum")  # an award criteria form's fields for each criterion


def award_criteria_rows(form: FlaskForm) -> list[tuple[str, ...]]:
    """The (name, kind, weighting, minimum score) rows an award criteria form was sent with, blank rows
    included."""
    rows, n = [], 1
    while f"criterion_{n}_name" in form:
        rows.append(tuple(form[f"criterion_{n}_{part}"].data or "" for part in CRITERION_PARTS))
        n += 1
    return rows


def _yes_or_no(label: str, unanswered: str = "", *, description: str = "") -> RadioField:
    """A yes-or-no question: one that must be answered (``unanswered`` says so), or else "no" to start with."""
    return RadioField(
        label,
        widget=GovRadioInput(),
        description=description,
        choices=options([("yes", "Yes"), ("no", "No")]),
        validators=[InputRequired(message=unanswered)] if unanswered else [],
        default=None if unanswered else "no",
    )


def _ppon_field(then: str) -> StringField:
    """The question of a supplier's PPON, optional; ``then`` says what giving it (or not) does."""
    return StringField(
        "Supplier's PPON (optional)",
        widget=GovShortInput(10, inputmode="text"),
        description=f"Its unique identifier on the Central Digital Platform (Find a Tender), like PABC-1234-DEFG. "
        f"{then}.",
        validators=[Length(max=40)],
    )


class TenderForm(FlaskForm):
    supplier_name = StringField(
        "Supplier",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the supplier's name"), Length(max=200)],
    )
    supplier_registration = StringField(
        "Companies House or charity number (optional)", widget=GovShortInput(10, inputmode="text")
    )
    supplier_is_sme = _yes_or_no(
        "Is the supplier a small or medium-sized enterprise (SME)?", "Say whether the supplier is an SME"
    )
    supplier_is_vcse = _yes_or_no(
        "Is the supplier a voluntary, community or social enterprise (VCSE)?", "Say whether the supplier is a VCSE"
    )
    supplier_ppon = _ppon_field(
        "Left empty, the PPON the supplier gave with its request to participate, or its application to the "
        "dynamic market the procurement is restricted to, is taken"
    )
    price = StringField(
        "Price tendered, excluding VAT",
        widget=money_input(),
        description="For the whole contract, as the tender documents asked, like 125000",
        validators=[InputRequired(message="Enter the price tendered in pounds, like 125000 or 125000.50")],
    )
    received_on = GovDate(
        "Date the tender was received", validators=[InputRequired(message="Enter the date the tender was received")]
    )
    not_assessed_because = TextAreaField(
        "If it was not assessed, why (optional)",
        widget=GovTextArea(),
        description="Late, the supplier excluded, or a condition of participation not met. Leave it empty for a "
        "tender assessed.",
        validators=[Length(max=4000)],
    )
    # Asked (and worded for it) only where the competition is reserved to certain suppliers
    # (``workflow.reservations``); the service says so if it is left unanswered there.
    supplier_within_reservation = RadioField(
        "Is the supplier one of those the competition is reserved to?",
        widget=GovRadioInput(),
        choices=options([("yes", "Yes"), ("no", "No")]),
        validators=[Optional()],
    )
    submit = SubmitField("Save the tender", widget=GovSubmitInput())
    opened_on = OPENED_ON


class ParticipationRequestForm(FlaskForm):
    """A supplier's request to participate in a competitive flexible procedure, and whether it goes on."""

    supplier_name = TenderForm.supplier_name
    supplier_registration = TenderForm.supplier_registration
    supplier_is_sme = TenderForm.supplier_is_sme
    supplier_is_vcse = TenderForm.supplier_is_vcse
    supplier_ppon = _ppon_field("Its tender then need not give it again")
    supplier_within_reservation = TenderForm.supplier_within_reservation
    received_on = GovDate(
        "Date the request was received", validators=[InputRequired(message="Enter the date the request was received")]
    )
    exclusions_checked_on = GovDate(
        "Date the supplier was checked against the exclusion grounds and the central debarment list (optional "
        "until it is invited)",
        description="An excluded supplier does not progress (Procurement Act 2023 s27, s57)",
        validators=[Optional()],
    )
    set_aside_because = TextAreaField(
        "If the supplier is not to be invited to tender, why (optional)",
        widget=GovTextArea(),
        description="A condition of participation not met, an excluded supplier, or not among the number chosen. "
        "Leave it empty for a supplier to invite.",
        validators=[Length(max=4000)],
    )
    submit = SubmitField("Save the request", widget=GovSubmitInput())
    opened_on = OPENED_ON


class ClosingDateForm(FlaskForm):
    """A closing date a procurement's notice set, extended by a revised tender notice (PA23 s31)."""

    closes_on = GovDate("New closing date", validators=[InputRequired(message="Enter the new closing date")])
    revised_notice_on = GovDate(
        "Date the revised tender notice was published",
        description="On the Central Digital Platform, saying the new closing date",
        validators=[InputRequired(message="Enter the date the revised tender notice was published")],
    )
    notice_id = _notice_id()
    reason = TextAreaField(
        "Why is it extended?",
        widget=GovTextArea(),
        description="A clarification answered late, a change to the tender documents, suppliers asking for longer",
        validators=[InputRequired(message="Say why the closing date is extended"), Length(max=4000)],
    )
    submit = SubmitField("Extend the closing date", widget=GovSubmitInput())
    opened_on = OPENED_ON


class InvitationsForm(FlaskForm):
    """The suppliers a competitive flexible procedure invited to tender, corrected (a name mistyped, one left
    out), saying why."""

    invited_suppliers = TextAreaField(
        "The suppliers invited to tender, one to a line",
        widget=GovTextArea(),
        description="As the invitations to tender named them. A tender from any other supplier is not assessed",
        validators=[InputRequired(message="Give the suppliers invited to tender, one to a line"), Length(max=5000)],
    )
    reason = TextAreaField(
        "Why is the list corrected?",
        widget=GovTextArea(),
        description="The case's history keeps the list before and after, with this",
        validators=[InputRequired(message="Say why the list is corrected"), Length(max=2000)],
    )
    submit = SubmitField("Correct the list", widget=GovSubmitInput())
    opened_on = OPENED_ON


class MarketForm(FlaskForm):
    """A dynamic market opened with its intention notice (PA23 s39)."""

    title = StringField(
        "Title",
        widget=GovTextInput(),
        description="As the intention notice gives it, like 'Home to school transport dynamic market'",
        validators=[DataRequired(message="Enter the market's title"), Length(max=200)],
    )
    description = TextAreaField(
        "What contracts will it be used to award? (optional)",
        widget=GovTextArea(),
        validators=[Length(max=4000, message="Keep the description to 4000 characters")],
    )
    conditions = TextAreaField(
        "Conditions for membership (optional)",
        widget=GovTextArea(),
        description="What a supplier must show to join (its legal and financial capacity, its technical ability), "
        "in proportion to the contracts. They cannot change while the market runs. Below the threshold, a market "
        "for goods or services may set none.",
        validators=[Length(max=4000, message="Keep the conditions to 4000 characters")],
    )
    parts = TextAreaField(
        "Its parts (optional)",
        widget=GovTextArea(),
        description="One per line, as the intention notice names them (a lot by area or by service). A supplier "
        "is admitted to some or all of them. Leave it empty for a market in one piece.",
        validators=[Length(max=6000)],
    )
    authority = AboutRequestForm.authority
    category = AboutRequestForm.category
    intention_published_on = GovDate(
        "Date the intention notice (UK13) was published",
        validators=[InputRequired(message="Enter the date the intention notice was published")],
    )
    intention_notice_id = _notice_id()
    submit = SubmitField("Open the market", widget=GovSubmitInput())

    fill_choices = AboutRequestForm.fill_choices  # the councils the person works for (and joint); every category


class FrameworkForm(FlaskForm):
    provider = StringField(
        "Who established it",
        widget=GovTextInput(),
        description="Like 'Crown Commercial Service', 'ESPO', or the council itself",
        validators=[DataRequired(message="Enter who established it"), Length(max=200)],
    )
    reference = StringField(
        "Its reference",
        widget=GovShortInput(10, inputmode="text"),
        description="The provider's, like RM6098",
        validators=[DataRequired(message="Enter its reference"), Length(max=60)],
    )
    lot = StringField("Lot the councils use (optional)", widget=GovShortInput(10, inputmode="text"))
    title = StringField(
        "Title", widget=GovTextInput(), validators=[DataRequired(message="Enter its title"), Length(max=200)]
    )
    regime = RadioField(
        "Under which law was it procured?",
        widget=GovRadioInput(),
        description="Its call-offs follow it, whenever they start: a framework procured under the Public Contracts "
        "Regulations 2015 keeps its call-offs under them",
        choices=options([(regime.value, regime.full_name) for regime in Regime]),
        validators=[InputRequired(message="Choose the law it was procured under")],
    )
    open_framework = _yes_or_no(
        "Is it an open framework?",
        description="A scheme re-opened to new suppliers during its term, which may then run to eight years in all "
        "(Procurement Act 2023 s49); another framework runs four at most (s47)",
    )
    dps = _yes_or_no(
        "Is it a dynamic purchasing system?",
        description="One established under the Public Contracts Regulations 2015 (regulation 34), which runs on under "
        "them to 23 February 2029 at the latest: its contracts go to a competition among its admitted suppliers and "
        "each owes a contract award notice. Under the Procurement Act 2023 it would be a dynamic market",
    )
    council_established = _yes_or_no(
        "Did the councils establish it themselves?",
        description="Their own framework, not a buying organisation's: an open one is then theirs to re-open in time "
        "(at least once in its first three years, then at least every five), and the scheduler reminds them",
    )
    starts_on = GovDate("Date it started", validators=[InputRequired(message="Enter the date it started")])
    ends_on = GovDate(
        "Last date a call-off may be made under it",
        validators=[InputRequired(message="Enter the last date a call-off may be made under it")],
    )
    authority = RadioField(
        "Which council may call off from it?",
        widget=GovRadioInput(),
        validators=[InputRequired(message="Choose the council that may use it, or both")],
    )
    direct_award = _yes_or_no(
        "Does it provide for a call-off without a further competition?",
        description="Where it sets out the core terms of the contracts and an objective way to choose the supplier "
        "(Procurement Act 2023 s45(4)). One with a single supplier always does",
    )
    fee_percent = StringField(
        "Fee on each call-off (optional)",
        widget=GovShortInput(4, inputmode="decimal", suffix="%"),
        description="The percentage of each call-off's value its provider charges, like 1 or 0.5",
    )
    suppliers = TextAreaField(
        "Suppliers on it (optional)",
        widget=GovTextArea(),
        description="One per line, as the provider lists them for the lot the councils use. Once they are listed, "
        "a call-off takes tenders from them alone and is awarded to one of them",
        validators=[Length(max=210_000)],
    )
    notes = TextAreaField(
        "How to call off from it (optional)",
        widget=GovTextArea(),
        description="Direct award or further competition, the customer access agreement, any fee",
        validators=[Length(max=4000, message="Keep the notes to 4000 characters")],
    )
    submit = SubmitField("Save the framework", widget=GovSubmitInput())
    version = HiddenField()  # the framework's, as the form showed it

    def fill_choices(self, core: Core, authorities: set[str]) -> None:
        self.authority.choices = council_choices(core, authorities)


class ReopeningForm(FlaskForm):
    """An open framework re-opened: the next framework of its scheme awarded (Procurement Act 2023 s49)."""

    awarded_on = GovDate(
        "Date the framework was awarded on re-opening",
        validators=[InputRequired(message="Enter the date the framework was awarded on re-opening")],
    )
    suppliers = TextAreaField(
        "Suppliers on it now",
        widget=GovTextArea(),
        description="One per line: those it was awarded to, the suppliers already on it who stay among them. They "
        "replace the register's list",
        validators=[Length(max=210_000)],
    )
    submit = SubmitField("Record the re-opening", widget=GovSubmitInput())
    version = HiddenField()  # the framework's, as the form showed it


class MarketNoticeForm(FlaskForm):
    """A later notice of a dynamic market: its establishment, a modification or its cessation."""

    published_on = GovDate(
        "Date the notice was published", validators=[InputRequired(message="Enter the date the notice was published")]
    )
    notice_id = _notice_id()
    summary = TextAreaField(
        "What it says",
        widget=GovTextArea(),
        validators=[Length(max=4000, message="Keep it to 4000 characters")],
    )
    parts_added = TextAreaField(
        "Parts it adds (optional)",
        widget=GovTextArea(),
        description="One per line, as the notice names them. They follow the market's parts, which keep their "
        "numbers; members apply for them as a new supplier applies.",
        validators=[Length(max=6000)],
    )  # asked only in a modification of a market in parts
    submit = SubmitField("Record the notice", widget=GovSubmitInput())


class MarketApplicationForm(FlaskForm):
    supplier_name = TenderForm.supplier_name
    supplier_registration = TenderForm.supplier_registration
    supplier_is_sme = TenderForm.supplier_is_sme
    supplier_is_vcse = TenderForm.supplier_is_vcse
    supplier_ppon = _ppon_field("Its tenders for contracts awarded by reference to the market need not give it then")
    parts = SelectMultipleField(
        "Parts it applies for", widget=GovCheckboxesInput(), choices=[], validate_choice=False
    )  # the market's, set by the page; asked only of a market in parts
    applied_on = GovDate(
        "Date the supplier applied", validators=[InputRequired(message="Enter the date the supplier applied")]
    )
    submit = SubmitField("Record the application", widget=GovSubmitInput())


class AdmitForm(FlaskForm):
    parts = SelectMultipleField(
        "Parts it is admitted to", widget=GovCheckboxesInput(), choices=[], validate_choice=False
    )
    exclusions_checked_on = GovDate(
        "Date the supplier was checked against the exclusion grounds and the central debarment list",
        description="An excluded supplier is never admitted (Procurement Act 2023 s36)",
        validators=[InputRequired(message="Enter the date the supplier was checked")],
    )
    decided_on = GovDate(
        "Date the supplier was admitted", validators=[InputRequired(message="Enter the date the supplier was admitted")]
    )
    submit = SubmitField("Admit the supplier", widget=GovSubmitInput())


class ReportPeriodForm(FlaskForm):
    """The days a report covers, asked in its address: reading a report changes nothing, so no CSRF token."""

    class Meta:
        csrf = False

    since = GovDate("From", validators=[InputRequired(message="Enter the first day the report covers")])
    until = GovDate("To", validators=[InputRequired(message="Enter the last day the report covers")])
    submit = SubmitField("Show the report", widget=GovSubmitInput())

    def validate_until(self, field) -> None:
        if self.since.data and field.data and field.data < self.since.data:
            raise ValidationError("The last day the report covers must be on or after its first")


def dated_reason_form_class(when: str, why: str, missing: str, button: str) -> type[FlaskForm]:
    """A date and a reason: an application refused, or a member removed."""
    return type(
        "DatedReasonForm",
        (FlaskForm,),
        {
            "on": GovDate(when, validators=[InputRequired(message=f"Enter the {when[0].lower()}{when[1:]}")]),
            "because": TextAreaField(
                why,
                widget=GovTextArea(),
                validators=[DataRequired(message=missing), Length(max=4000)],
            ),
            "submit": SubmitField(button, widget=GovSubmitInput()),
        },
    )


def scores_form_class(criteria: list, meanings: Mapping[int, str]) -> type[FlaskForm]:
    """The panel's agreed score for one tender against each of ``criteria`` (a score and its reasons each)."""
    attributes: dict = {}
    for criterion in criteria:
        attributes[f"score_{criterion.id}"] = RadioField(
            f"{criterion.name} ({criterion.weighting}%)",
            widget=GovRadioInput(),
            choices=options([(str(score), f"{score}: {meaning}") for score, meaning in meanings.items()]),
            validators=[InputRequired(message=f"Score '{criterion.name}'")],
        )
        attributes[f"reasons_{criterion.id}"] = TextAreaField(
            f"Reasons for the score on '{criterion.name}'",
            widget=GovTextArea(),
            description="What the tender offered against the criterion: the supplier's assessment summary gives them",
            validators=[Length(max=4000)],
        )
    attributes["submit"] = SubmitField("Save the scores", widget=GovSubmitInput())
    attributes["opened_on"] = OPENED_ON
    return type("ScoresForm", (FlaskForm,), attributes)


class CompleteTaskForm(FlaskForm):
    outcome = RadioField(
        "What was decided or done?",
        widget=GovRadioInput(),
        validators=[InputRequired(message="Choose what was decided or done")],
    )
    note = TextAreaField("Note (optional)", widget=GovTextArea(), validators=[Length(max=5000)])
    submit = SubmitField("Complete the task", widget=GovSubmitInput())


class ApproveNoticeForm(FlaskForm):
    """The S151 officer's approval of a payments compliance notice, with the unpaid invoices its figures count."""

    still_unpaid = HiddenField()
    note = TextAreaField("Note (optional)", widget=GovTextArea(), validators=[Length(max=2000)])
    submit = SubmitField("Record the approval", widget=GovSubmitInput())


class SameSupplierForm(FlaskForm):
    same_as = StringField(
        "The supplier's name it goes by",
        widget=GovTextInput(),
        description="As the register, the payments or a tender spells it: its page lists its contracts and spend",
        validators=[DataRequired(message="Enter the name of the supplier it is"), Length(max=200)],
    )
    reason = TextAreaField(
        "How do you know they are one company?",
        widget=GovTextArea(),
        description="A Companies House or charity number, an invoice, a letter from the supplier",
        validators=[Length(max=2000)],  # and given at all: the service says so
    )
    submit = SubmitField("Record them as one supplier", widget=GovSubmitInput())


class SeparateSupplierForm(FlaskForm):
    reason = TextAreaField(
        "Why are they not one company?",
        widget=GovTextArea(),
        validators=[Length(max=2000)],  # and given at all: the service says so
    )
    submit = SubmitField("Record them as two suppliers", widget=GovSubmitInput())


class CheckAnswersForm(FlaskForm):
    """A request's answers, checked: saved or submitted; where it may be one requirement with others of its
    council's, the requester may say why it is not (``aggregation``), for its approvers to read."""

    one_requirement_explained = TextAreaField(
        "Why is it not one requirement with them? (optional)",
        widget=GovTextArea(),
        description="A different need, budget or time: its approvers read this beside the warning",
        validators=[Length(max=2000)],
    )


class DifferentSuppliersForm(FlaskForm):
    reason = TextAreaField(
        "How do you know they are different companies?",
        widget=GovTextArea(),
        description="Their Companies House or charity numbers, their addresses, what each supplies",
        validators=[Length(max=2000)],  # and given at all: the service says so
    )
    submit = SubmitField("Record them as different suppliers", widget=GovSubmitInput())


class SnoozeTaskForm(FlaskForm):
    until = GovDate("Remind me again on", validators=[InputRequired(message="Enter the date to be reminded again")])
    reason = TextAreaField(
        "Why are you snoozing it?",
        widget=GovTextArea(),
        validators=[DataRequired(message="Give a reason for snoozing the task"), Length(max=2000)],
    )
    submit = SubmitField("Snooze the task", widget=GovSubmitInput())


class PassTaskForm(FlaskForm):
    assignee_id = PersonField("Who should do it?", validators=[InputRequired(message="Choose who to pass the task to")])
    reason = TextAreaField("Why? (optional)", widget=GovTextArea(), validators=[Length(max=2000)])
    submit = SubmitField("Pass the task on", widget=GovSubmitInput())


class ContractRiskForm(FlaskForm):
    risk = RadioField(
        "How risky is the contract now?",
        choices=options([("low", "Low"), ("medium", "Medium"), ("high", "High")]),
        widget=GovRadioInput(),
        validators=[InputRequired(message="Choose low, medium or high")],
    )
    reason = TextAreaField(
        "Why?",
        description="What the rating rests on (a review's findings, the service's criticality): it sets how often "
        "the contract is reviewed",
        widget=GovTextArea(),
        validators=[InputRequired(message="Say why its risk is now this"), Length(max=2000)],
    )
    submit = SubmitField("Change the risk rating", widget=GovSubmitInput())


def _recorded_or_not(label: str, hint: str) -> RadioField:
    """A yes-or-no question about a contract's supplier that the register may not have an answer to."""
    return RadioField(
        label,
        widget=GovRadioInput(),
        description=hint,
        choices=options([("yes", "Yes"), ("no", "No"), ("not_recorded", "Not recorded")]),
        validators=[Optional()],
    )


class KeyDecisionReportForm(FlaskForm):
    """What an overview and scrutiny committee resolved about a decision it holds should have been a key decision
    (2012 regs reg 18)."""

    committee = StringField(
        "Which overview and scrutiny committee?",
        widget=GovTextInput(),
        validators=[InputRequired(message="Name the overview and scrutiny committee"), Length(max=200)],
    )
    resolved_on = GovDate(
        "When did it resolve to require the report?",
        validators=[InputRequired(message="Enter the day the committee resolved to require the report")],
    )
    report_by = GovDate(
        "When must the report go to the council?",
        description="The end of the period the committee specified",
        validators=[InputRequired(message="Enter the day the committee requires the report by")],
    )
    why = TextAreaField(
        "Why does the committee hold it should have been a key decision?",
        widget=GovTextArea(),
        validators=[InputRequired(message="Say why the committee holds it should have been a key decision"),
                    Length(max=2000)],
    )  # fmt: skip
    submit = SubmitField("Record that a report is required", widget=GovSubmitInput())


class ContractRecordForm(FlaskForm):
    """What the register holds of a contract, to correct (``services.contract_record``)."""

    # Nothing required here: the service names every problem at once, a title left empty among them.
    title = StringField("Title", widget=GovTextInput(), validators=[Length(max=200)])
    description = TextAreaField("Description", widget=GovTextArea(), validators=[Length(max=4000)])
    # Its own fields, not the tender form's: a form's fields come in the order they were made.
    supplier_registration = StringField(
        "Companies House or charity number (optional)", widget=GovShortInput(10, inputmode="text")
    )
    supplier_ppon = _ppon_field("The Act's notices of the contract identify the supplier by it")
    supplier_is_sme = _yes_or_no("Is the supplier a small or medium-sized enterprise (SME)?")
    supplier_is_vcse = _yes_or_no("Is the supplier a voluntary, community or social enterprise (VCSE)?")
    supplier_is_supported_employment = _recorded_or_not(
        "Is the supplier a supported employment provider?",
        "Disabled or disadvantaged people are at least 30% of its workforce (Procurement Act 2023 s32)",
    )
    supplier_is_public_service_mutual = _recorded_or_not(
        "Is the supplier a public service mutual?",
        "Run not for profit, or for its members, and controlled by its employees (Procurement Act 2023 s33)",
    )
    notice_period_days = StringField(
        "Notice period",
        widget=GovShortInput(4, suffix="days"),
        description="The notice either party gives to end it: the scheduler reminds its manager before the last day "
        "to give it. 0 if the contract sets none",
    )
    extension_months_available = StringField(
        "Extension options left", widget=GovShortInput(3, suffix="months"), description="0 if it has none"
    )
    irrecoverable_vat = StringField(
        "VAT that cannot be recovered",
        widget=money_input(),
        description="The Transparency Code publishes it; 0 if the council recovers it all",
    )
    # A contract loaded from a register, to its category team: its figures as typed then (the view drops them
    # for anyone else, and for a contract procured here, whose award set them).
    value = StringField(
        "Total value excluding VAT",
        widget=money_input(),
        description="Its whole-life value: a change the council and supplier agree is a variation, not this",
    )
    start_date = GovDate("Start date")
    end_date = GovDate("End date", description="A new end date agreed is a variation or an extension, not this")
    maximum_term_months = StringField(
        "Maximum term",
        widget=GovShortInput(3, suffix="months"),
        description="The longest it could run as awarded, its extension options included",
    )
    reason = TextAreaField(
        "What was wrong?",
        description="And where the right details come from (the contract, the supplier): the contract's history "
        "keeps it",
        widget=GovTextArea(),
        validators=[Length(max=2000)],
    )
    submit = SubmitField("Save the corrections", widget=GovSubmitInput())
    version = HiddenField()  # the contract's case's, as the form showed it
    headings = {
        "title": "The contract",
        "supplier_registration": "Its supplier",
        "notice_period_days": "Its terms",
        "value": "Its value and dates, as loaded",
        "reason": "Why",
    }


class ContractManagerForm(FlaskForm):
    manager_id = PersonField(
        "Who manages this contract now?", validators=[InputRequired(message="Choose who manages the contract now")]
    )
    reason = TextAreaField("Reason for the change (optional)", widget=GovTextArea(), validators=[Length(max=2000)])
    submit = SubmitField("Change the contract manager", widget=GovSubmitInput())


class TeamMemberForm(FlaskForm):
    user_id = PersonField("Who works on this procurement?", validators=[InputRequired(message="Choose who to add")])
    part = RadioField(
        "As part of",
        widget=GovRadioInput(),
        choices=options([("procurement", "The procurement team"), ("evaluation", "The evaluation panel")]),
        validators=[InputRequired(message="Choose the procurement team or the evaluation panel")],
    )
    submit = SubmitField("Add to the team", widget=GovSubmitInput())


class NoteForm(FlaskForm):
    note = TextAreaField(
        "Add a note",
        widget=GovTextArea(),
        description="For the record, without moving the case: everyone who may see the case sees it in its history",
    )
    submit = SubmitField("Add the note", widget=GovSubmitInput())


class UploadForm(FlaskForm):
    document = FileField(
        "Upload a document",
        widget=GovFileInput(),
        description="PDF, Word, Excel, OpenDocument, CSV, plain text or PNG/JPEG, up to 10 MB",
    )
    submit = SubmitField("Upload", widget=GovSubmitInput())


class LoadFileForm(FlaskForm):
    """The file an administrator loads (its field keeps the name the register's form first had)."""

    register = FileField(
        "Upload the file",
        widget=GovFileInput(),
        description="A CSV file of up to 5 MB: either of Excel's CSV formats",
    )
    submit = SubmitField("Check the file", widget=GovSubmitInput())


class ConfirmLoadForm(FlaskForm):
    """The file that was checked, carried to the confirmation (base64) and checked again before loading."""

    content = HiddenField()
    filename = HiddenField()
    submit = SubmitField("Load the contracts", widget=GovSubmitInput())


class EditRequestForm(AboutRequestForm, ValueForm, RouteForm, FundingForm, CheckAnswersForm):
    """All of a request's answers on one page, for changing a draft or a request returned for rework (the
    route questions for a procurement only; why it is not one requirement with others, where it may be)."""

    stage = None
    version = HiddenField()
    submit = SubmitField("Save changes", widget=GovSubmitInput())


# --- administration -----------------------------------------------------------------------------------
class GrantRoleForm(FlaskForm):
    role = ChoiceField("Role", widget=GovSelect(), invalid="Choose a role")
    authority = ChoiceField("Council", widget=GovSelect(), invalid="Choose a council")
    pillar = SelectField(
        "Pillar", widget=GovSelect(), description="Only for category staff and contract managers", validate_choice=False
    )
    submit = SubmitField("Add the role", widget=GovSubmitInput())

    def fill_choices(self, core: Core, councils: list[str]) -> None:
        """``councils``: those whose roles the administrator filling it in may give."""
        org = core.governance.organisation
        self.role.choices = options([("", "Choose a role")] + [(r.code, r.name) for r in org.roles.values()])
        self.authority.choices = options(
            [("", "Choose a council")] + [(code, name) for code, name in org.council_choices if code in councils]
        )
        self.pillar.choices = options([("", "No pillar"), *org.pillar_choices])


class PersonDetailsForm(FlaskForm):
    """Who someone is: given when an administrator adds them, and corrected by one later."""

    full_name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[DataRequired(message="Enter the person's full name"), Length(max=200)],
    )
    email = StringField(
        "Email address", widget=GovTextInput(), validators=[DataRequired(message="Enter an email address")]
    )
    job_title = StringField("Job title (optional)", widget=GovTextInput(), validators=[Length(max=200)])
    submit = SubmitField("Save their details", widget=GovSubmitInput())


class NewUserForm(GrantRoleForm, PersonDetailsForm):
    username = StringField(
        "Username",
        widget=GovTextInput(),
        description="Lower-case letters, numbers, dots or hyphens, like j.smith",
        validators=[DataRequired(message="Enter a username")],
    )
    submit = SubmitField("Add the person", widget=GovSubmitInput())


class TokenForm(FlaskForm):
    """A new API token's name, and proof that it is its owner who asks: their password, and a security code
    if they use them (the view drops what is not asked of them; the services check them)."""

    name = StringField(
        "Name of the new token",
        widget=GovTextInput(),
        description="What will use it, like 'Finance system nightly import'",
        validators=[DataRequired(message="Give the token a name that says what uses it"), Length(max=100)],
    )
    password = PasswordField(
        "Your password",
        widget=GovPasswordInput(),
        description="A token acts as you without signing in, so confirm it is you.",
    )
    code = StringField(
        "Security code",
        widget=GovTextInput(),
        description="You use security codes: enter the one your authenticator app shows, or a recovery code.",
    )
    submit = SubmitField("Create a token", widget=GovSubmitInput())


class EmailChoiceForm(FlaskForm):
    email = RadioField(
        "How would you like notifications by email?",
        widget=GovRadioInput(),
        choices=options([("each", "Each one as it happens"), ("digest", "One email a day, listing them all")]),
        validators=[InputRequired(message="Choose how you would like notifications by email")],
    )
    submit = SubmitField("Save my choice", widget=GovSubmitInput())
