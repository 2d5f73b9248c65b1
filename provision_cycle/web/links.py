"""Pages reached from outside the app: an approval email's action link, and a personal calendar feed.

Both are public routes because the secret in the URL is the credential; each checks it before anything."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_login import current_user

from ..errors import DomainError, InvalidInput, NotPermitted
from ..services.calendar import create_feed, feed_ics, has_feed, revoke_feeds
from ..services.links import approve_by_link, open_action_link
from .common import core, me, render
from .forms import ActionForm, LinkApprovalForm, apply_errors
from .security import public, signed_in

links = Blueprint("links", __name__)


def _signed_in_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


@links.route("/act/<secret>", methods=["GET", "POST"])
@public
def action_link(secret: str):
    form = LinkApprovalForm()
    try:
        view = open_action_link(core(), secret, _signed_in_id())
    except DomainError as error:
        return render(
            "links/unusable.html", message=error.message, status=403 if isinstance(error, NotPermitted) else 404
        )
    if request.method == "POST" and form.validate_on_submit():
        try:
            result = approve_by_link(
                core(),
                secret,
                _signed_in_id(),
                no_conflict=request.form.get("no_conflict") == "yes",
                code=form.code.data or "",
                address=request.remote_addr or "",
            )
        except InvalidInput as error:  # the security code: asked again, on the same page
            apply_errors(form, error.fields)
        except DomainError as error:
            return render("links/unusable.html", message=error.message, status=403)
        else:
            return render("links/done.html", message=result.message, case=view.case)
    return render("links/confirm.html", view=view, form=form)


@links.get("/calendar/<secret>.ics")
@public
def calendar(secret: str):
    return Response(
        feed_ics(core(), secret), mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"}
    )


@links.route("/account/calendar", methods=["GET", "POST"])
@signed_in
def calendar_settings():
    form = ActionForm()
    url = None
    if form.validate_on_submit():
        if request.form.get("intent") == "stop":
            revoke_feeds(core(), me().id)
            flash("Your calendar feed is switched off: the old address no longer works.")
            return redirect(url_for(".calendar_settings"))
        # The service's public address, as in emails: behind a proxy the request's own host is an inner one.
        url = core().settings.base_url + url_for(".calendar", secret=create_feed(core(), me().id))
    return render("links/calendar.html", form=form, url=url, active=has_feed(core(), me().id))
