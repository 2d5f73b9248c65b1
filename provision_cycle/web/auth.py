"""Signing in (with a password, or with the council's identity provider) and out, and setting a password:
from an emailed link (a new account's, or a reset asked for here) or, signed in, on the account page."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, jsonify, redirect, request, session, url_for
from flask_login import login_user, logout_user
from flask_wtf.csrf import generate_csrf

from ..errors import DomainError, InvalidInput, NotFound, NotPermitted
from ..services import passwords, single_sign_on, two_factor
from ..services.people import SIGN_IN_FAILED, authenticate, session_begins, session_person
from ..wording import duration
from .common import core, me, render, safe_next
from .forms import (
    ActionForm,
    ChangePasswordForm,
    ForgottenPasswordForm,
    NewPasswordForm,
    SecurityCodeForm,
    SignInForm,
    apply_errors,
)
from .security import (
    PASSWORD_ALONE,
    PROVED,
    SINGLE_SIGN_ON,
    WITH_A_CODE,
    SignedIn,
    begin_session,
    public,
    session_left,
    signed_in,
)

auth = Blueprint("auth", __name__)


def _begin_session(key: str, proved: str) -> None:
    person = session_begins(core(), key)
    if person is None:  # deactivated, or its password set again, in the instant since
        raise NotPermitted(SIGN_IN_FAILED)
    session.clear()  # a fresh session on sign-in: no fixation
    login_user(SignedIn(*person))
    begin_session(core(), proved=proved)


def passwords_only(view):
    """A page about passwords: not found where everyone signs in with the council's identity provider."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not core().settings.passwords_in_use:
            abort(404)
        return view(*args, **kwargs)

    return guarded


@auth.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    form = SignInForm()
    if request.method == "POST" and not core().settings.passwords_in_use:
        abort(404)
    if form.validate_on_submit():
        try:
            key = authenticate(core(), form.username.data, form.password.data, request.remote_addr or "")
        except NotPermitted as error:
            form.username.errors = [error.message]
            return render("auth/sign_in.html", form=form, status=400)
        return _after_the_password(key, safe_next(request.args.get("next"), url_for("work.my_work")))
    return render("auth/sign_in.html", form=form)


# --- security codes: the second step after a password ---------------------------------------------------
HALFWAY = "halfway"  # the session's key for a sign-in whose password was right, waiting for its security code
HALFWAY_SECONDS = 600


def _after_the_password(key: str, next_page: str):
    """The session begins, or, for someone who uses security codes (or must set them up, where the council
    requires them), the code is asked for first; nothing is signed in until then."""
    person = session_person(core(), key)
    if person is None:
        raise NotPermitted(SIGN_IN_FAILED)
    user_id = person[0].id
    if not two_factor.code_needed(core(), user_id):
        _begin_session(key, PASSWORD_ALONE)
        return redirect(next_page)
    session.clear()
    session[HALFWAY] = {"key": key, "at": core().engine.clock().timestamp(), "next": next_page}
    return redirect(url_for("auth.security_code"))


def _halfway() -> tuple[str, int, str] | None:
    """The sign-in waiting for its code: (session key, whose, where next), while it is fresh."""
    held = session.get(HALFWAY) or {}
    if not held or core().engine.clock().timestamp() - held.get("at", 0) > HALFWAY_SECONDS:
        return None
    person = session_person(core(), held["key"])
    return (held["key"], person[0].id, held["next"]) if person else None


def _start_again():
    session.pop(HALFWAY, None)
    waits = duration(HALFWAY_SECONDS // 60)
    flash(f"Sign in again: a sign-in waits {waits} for its security code, and this one waited longer.", "error")
    return redirect(url_for("auth.sign_in"))


@auth.route("/sign-in/security-code", methods=["GET", "POST"])
@public
@passwords_only
def security_code():
    halfway = _halfway()
    if halfway is None:
        return _start_again()
    key, user_id, next_page = halfway
    if not two_factor.uses_codes(core(), user_id):
        return redirect(url_for("auth.set_up_security_codes"))
    form = SecurityCodeForm()
    if form.validate_on_submit():
        try:
            two_factor.check_code(core(), user_id, form.code.data, request.remote_addr or "")
        except InvalidInput as error:
            apply_errors(form, error.fields)
        else:
            _begin_session(key, WITH_A_CODE)
            return redirect(next_page)
    return render("auth/security_code.html", form=form)


@auth.route("/sign-in/set-up-security-codes", methods=["GET", "POST"])
@public
@passwords_only
def set_up_security_codes():
    """Where the council requires security codes: set them up before the first session begins."""
    halfway = _halfway()
    if halfway is None:
        return _start_again()
    key, user_id, next_page = halfway
    if two_factor.uses_codes(core(), user_id):  # set up already: a code is what is wanted
        return redirect(url_for("auth.security_code"))
    return _set_up(user_id, on_done=lambda: _begin_session(key, WITH_A_CODE), next_page=next_page)


def _set_up(user_id: int, *, on_done, next_page: str):
    """Setting up security codes: a button making the key (a POST: a GET changes nothing), then its QR code
    and the form confirming it with a code; once on, the recovery codes, shown this once."""
    if request.method == "POST" and request.form.get("intent") == "start":
        if ActionForm().validate_on_submit():
            try:
                two_factor.start_setting_up(core(), user_id)
            except DomainError as error:  # on already (in another tab)
                flash(error.message, "error")
        return redirect(request.path)
    form = SecurityCodeForm()
    form.submit.label.text = "Turn on security codes"
    if form.validate_on_submit():
        try:
            recovery = two_factor.turn_on(core(), user_id, form.code.data)
        except InvalidInput as error:
            apply_errors(form, error.fields)
        except (NotFound, NotPermitted) as error:  # not begun, or already on (in another tab)
            flash(error.message, "error")
            return redirect(request.path)
        else:
            on_done()
            return render("auth/recovery_codes.html", codes=recovery, next_page=next_page)
    waiting = two_factor.key_being_set_up(core(), user_id)
    if waiting is None:
        return render("auth/set_up_security_codes.html", form=form, start=ActionForm())
    username, key = waiting
    address, drawing = two_factor.scan_me(core(), username, key)
    spaced = " ".join(key[i : i + 4] for i in range(0, len(key), 4))
    return render("auth/set_up_security_codes.html", form=form, drawing=drawing, key=spaced, address=address)


@auth.route("/account/security-codes", methods=["GET", "POST"])
@signed_in
@passwords_only
def security_codes():
    """A person's own security codes: set them up, or see how many recovery codes they have left."""
    if two_factor.uses_codes(core(), me().id):
        form = SecurityCodeForm()
        form.submit.label.text = "Make new recovery codes"
        if form.validate_on_submit():
            try:
                recovery = two_factor.replace_recovery_codes(core(), me().id, form.code.data)
            except InvalidInput as error:
                apply_errors(form, error.fields)
            else:
                return render(
                    "auth/recovery_codes.html",
                    codes=recovery,
                    next_page=url_for("work.account"),
                    heading="Your new recovery codes",
                )
        left = two_factor.recovery_codes_left(core(), me().id)
        return render("work/security_codes.html", left=left, form=form)
    return _set_up(me().id, on_done=lambda: None, next_page=url_for("work.account"))


JOURNEY = "single_sign_on"  # the session's key for a sign-in away at the identity provider


def _provider() -> single_sign_on.Provider:
    provider = single_sign_on.Provider.configured(core().settings)
    if provider is None:
        abort(404)
    return provider


def _return_to() -> str:
    """The address the provider sends the browser back to: exactly the one registered with it."""
    return core().settings.base_url + url_for("auth.single_sign_on_return")


@auth.get("/sign-in/single-sign-on")
@public
def single_sign_on_start():
    provider = _provider()
    try:
        address, journey = single_sign_on.begin(
            provider, _return_to(), safe_next(request.args.get("next"), url_for("work.my_work"))
        )
    except NotPermitted as error:
        flash(error.message, "error")
        return redirect(url_for("auth.sign_in"))
    session[JOURNEY] = journey.to_session()
    return redirect(address)


@auth.get("/sign-in/single-sign-on/return")
@public
def single_sign_on_return():
    """Where the provider sends the browser back. A GET, as OpenID Connect has it (a cross-site POST would
    not carry this site's session cookie); the state, nonce and PKCE verifier this browser's session kept are
    what stop a forged return, and each is spent here."""
    provider = _provider()
    journey = single_sign_on.Journey.from_session(session.pop(JOURNEY, None))
    try:
        _begin_session(single_sign_on.finish(core(), provider, journey, request.args, _return_to()), SINGLE_SIGN_ON)
    except NotPermitted as error:
        flash(error.message, "error")
        return redirect(url_for("auth.sign_in"))
    return redirect(journey.next)


@auth.post("/sign-out")
@signed_in
def sign_out():
    logout_user()
    session.clear()
    return redirect(url_for("auth.sign_in", signed_out=1))


@auth.get("/session")
@signed_in
def session_status():
    """How long this session has left (the page's warning asks before it shows, since another tab may have
    used the service meanwhile). Asking does not count as using it; a session already over is sent to sign in."""
    return jsonify(session_left(core()).as_json())


@auth.post("/session/keep-alive")
@signed_in
def keep_alive():
    """*Stay signed in*, from the warning before a session ends unused: it counts as using the service (as
    every request does), and gives the page a fresh CSRF token for its forms, which would otherwise lapse
    with the time they were given."""
    session["seen_at"] = core().engine.clock().timestamp()
    return jsonify(session_left(core()).as_json() | {"csrf_token": generate_csrf()})


@auth.route("/sign-in/forgotten-password", methods=["GET", "POST"])
@public
@passwords_only
def forgotten_password():
    form = ForgottenPasswordForm()
    if form.validate_on_submit():
        try:
            passwords.ask_for_reset(core(), form.account.data, request.remote_addr or "")
        except InvalidInput as error:
            apply_errors(form, error.fields)
        except NotPermitted as error:  # too many from this address
            apply_errors(form, {"account": error.message})
        else:  # the same page whether or not there is such an account: it is not ours to tell
            return render("auth/link_sent.html", lasts=passwords.PURPOSES["reset"].lasts)
    return render("auth/forgotten_password.html", form=form)


@auth.route("/password/<secret>", methods=["GET", "POST"])
@public
@passwords_only
def password_link(secret: str):
    """The page an emailed link opens: whose password it sets, and the form to set it. The link is the
    credential; setting the password ends any session in this browser, and the person signs in with it."""
    try:
        holder = passwords.open_password_link(core(), secret)
    except (NotFound, NotPermitted) as error:
        return _refused(error)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            username = passwords.set_password_by_link(core(), secret, form.password.data, form.confirmation.data)
        except InvalidInput as error:
            apply_errors(form, error.fields)
        except (NotFound, NotPermitted) as error:  # spent or expired while the form was open
            return _refused(error)
        else:
            logout_user()
            session.clear()
            flash(f"Your password is set. Sign in as {username} with it.")
            return redirect(url_for("auth.sign_in"))
    return render("auth/password_link.html", form=form, holder=holder)


def _refused(error: NotFound | NotPermitted):
    return render("auth/link_refused.html", message=error.message, status=404 if isinstance(error, NotFound) else 410)


@auth.route("/account/password", methods=["GET", "POST"])
@signed_in
@passwords_only
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            key = passwords.change_password(
                core(), me().id, form.current.data, form.password.data, form.confirmation.data
            )
        except InvalidInput as error:
            apply_errors(form, error.fields)
        else:
            _begin_session(key, session.get(PROVED, PASSWORD_ALONE))  # this session goes on, as it was proved;
            # every other one of theirs has ended
            flash("Your password is changed. You are signed out everywhere else.")
            return redirect(url_for("work.my_work"))
    return render("auth/change_password.html", form=form)
