"""The errors the return services raise. Each carries a clear, translated message for the person
who acted, and each means that nothing was changed: the service's transaction was rolled back."""


class ReturnError(Exception):
    """The return cannot be created or changed that way; the message says why, and `code` says
    it for machines (a stable word the API answers with: the policy's RefusalCode where one
    refused, else the error's kind)."""

    default_code = "refused"

    def __init__(self, *args: object, code: str = "") -> None:
        super().__init__(*args)
        self._code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    @property
    def code(self) -> str:
        return getattr(self, "_code", "") or self.default_code


class ReturnPermissionError(ReturnError):
    """The person acting lacks the permission (or ownership) the change needs."""

    default_code = "not_allowed"


class StaleReturnError(ReturnError):
    """Someone else changed the return first: the page it was read from is out of date."""

    default_code = "stale"
