"""Domain errors. The core raises these; each face (web, API, CLI) translates them for its audience.

Every message is a sentence a council officer can act on: it says what is wrong and what is missing.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class: an action that cannot be taken, and why."""

    status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status = 404


class NotPermitted(DomainError):
    """The actor lacks the role, the authority, or is barred (segregation of duties, a conflict)."""

    status = 403


class InvalidAction(DomainError):
    """The action is not available from the case's current state."""

    status = 409


class GuardFailed(DomainError):
    """The action is available but a precondition is not met; ``missing`` lists each one."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        super().__init__("; ".join(missing))


class InvalidInput(DomainError):
    """Data for the action is missing or malformed; ``fields`` maps each field to its problem."""

    status = 400

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields
        super().__init__("; ".join(fields.values()))


class ChangedMeanwhile(DomainError):
    """Someone saved what the caller's form shows (a tender, its scores) since the caller opened it: their
    changes would silently undo the other person's."""

    status = 409


class StaleCase(DomainError):
    """Someone else changed the case since the caller read it."""

    status = 409

    def __init__(self, reference: str, current_state_label: str, current_version: int) -> None:
        self.current_state_label = current_state_label
        self.current_version = current_version
        super().__init__(
            f"This case has changed since you opened it: {reference} is now at '{current_state_label}'. "
            "Check the latest details and try again."
        )
