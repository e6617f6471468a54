"""What the refunds app refuses, as errors every surface shows (the API maps their codes)."""

from returns.errors import ReturnError, ReturnPermissionError


class RefundError(ReturnError):
    """The refund cannot be made or changed that way; the message says why."""

    default_code = "refund_refused"


class RefundPermissionError(RefundError, ReturnPermissionError):
    """The person acting lacks the refund permission."""

    default_code = "not_allowed"
