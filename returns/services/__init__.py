"""Every write of the returns app. The services are the only way a return's status changes: the
portal, the back-office, the admin actions and the commands all call them.

Each service is atomic, locks the rows it counts on, writes a ReturnEvent per change and raises
a ReturnError (with a clear, translated message) when it refuses, having changed nothing.
"""

from returns.errors import ReturnError, ReturnPermissionError, StaleReturnError
from returns.services._common import tell_customer
from returns.services.creation import ReturnLineInput, return_create, return_request
from returns.services.editing import return_change_exchange_item, return_update
from returns.services.inspection import return_inspect
from returns.services.transitions import (
    return_add_note,
    return_approve,
    return_cancel,
    return_complete,
    return_expire,
    return_mark_in_transit,
    return_receive,
    return_reject,
    return_reopen,
)

__all__ = [
    "ReturnError",
    "ReturnLineInput",
    "ReturnPermissionError",
    "StaleReturnError",
    "return_add_note",
    "return_approve",
    "return_cancel",
    "return_change_exchange_item",
    "return_complete",
    "return_create",
    "return_expire",
    "return_inspect",
    "return_mark_in_transit",
    "return_receive",
    "return_reject",
    "return_reopen",
    "return_request",
    "return_update",
    "tell_customer",
]
