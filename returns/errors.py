"""The errors the return services raise. Each carries a clear, translated message for the person
who acted, and each means that nothing was changed: the service's transaction was rolled back."""


class ReturnError(Exception):
    """The return cannot be created or changed that way; the message says why."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class ReturnPermissionError(ReturnError):
    """The person acting lacks the permission (or ownership) the change needs."""


class StaleReturnError(ReturnError):
    """Someone else changed the return first: the page it was read from is out of date."""
