"""Signing in and out."""

from __future__ import annotations

from flask import Blueprint, redirect, request, session, url_for
from flask_login import login_user, logout_user

from ..errors import NotPermitted
from ..services.people import authenticate
from ..services.reading import load_actor
from .common import core, render, safe_next
from .forms import SignInForm
from .security import SignedIn, public, signed_in

auth = Blueprint("auth", __name__)


@auth.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user_id = authenticate(core(), form.username.data, form.password.data)
        except NotPermitted as error:
            form.username.errors = [error.message]
            return render("auth/sign_in.html", form=form, status=400)
        session.clear()  # a fresh session on sign-in: no fixation
        actor = load_actor(core(), user_id)
        login_user(SignedIn(actor))
        return redirect(safe_next(request.args.get("next"), url_for("work.my_work")))
    return render("auth/sign_in.html", form=form)


@auth.post("/sign-out")
@signed_in
def sign_out():
    logout_user()
    session.clear()
    return redirect(url_for("auth.sign_in", signed_out=1))
