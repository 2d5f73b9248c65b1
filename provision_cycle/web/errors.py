"""Error pages in the house style, and the translation of the core's domain errors for the browser."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError

from ..api.framework import problem
from ..errors import NotFound, NotPermitted


def register_error_handlers(app: Flask) -> None:
    def page(status: int, title: str, message: str):
        if request.path.startswith("/api/"):  # the API speaks problem+json, even for its errors outside a view
            return problem(status, title, message)
        return render_template("errors/error.html", status=status, title=title, message=message), status

    @app.errorhandler(400)
    def bad_request(_error):
        return page(400, "Something in the request was not right", "Go back, check what you entered and try again.")

    @app.errorhandler(CSRFError)
    def csrf(_error):
        return page(
            400,
            "The form has expired",
            "For your security, forms stop working after a while or when you sign in again. "
            "Go back, reload the page and try again.",
        )

    @app.errorhandler(403)
    @app.errorhandler(NotPermitted)
    def forbidden(error):
        message = error.message if isinstance(error, NotPermitted) else "You do not have access to this page."
        return page(403, "You cannot do this", message)

    @app.errorhandler(404)
    @app.errorhandler(NotFound)
    def not_found(_error):
        return page(
            404,
            "Page not found",
            "If you typed the web address, check it is correct. If you pasted it, check you copied the entire address.",
        )

    @app.errorhandler(405)
    def not_allowed(_error):
        return page(405, "That cannot be done from here", "Use the buttons on the page.")

    @app.errorhandler(413)
    def too_large(_error):
        return page(413, "The file is too large", "Files must be 10 MB or smaller.")

    @app.errorhandler(500)
    def server_error(_error):
        return page(500, "Sorry, there is a problem with the service", "Try again later. Nothing was saved.")
