"""Every error of the API as an RFC 9457 problem: application/problem+json with `type`,
`title`, `status`, `detail` and a stable `code`, in the language of Accept-Language.

The services' refusals (returns.errors.ReturnError and its kinds) carry their own code and
translated message; this module only says which HTTP status each kind is."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext
from rest_framework import exceptions, status
from rest_framework.response import Response

from returns.errors import ReturnError, ReturnPermissionError, StaleReturnError

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "urn:returns:problem:"


class Problem(exceptions.APIException):
    """A refusal the API words itself (a missing scope, an idempotency key reused...)."""

    def __init__(self, status_code: int, code: str, title: str, detail: str = "", **extra):
        self.status_code = status_code
        self.problem_code = code
        self.title = title
        self.extra = extra
        super().__init__(detail or title, code)


def problem_response(
    status_code: int, code: str, title: str, detail: str, headers=None, **extra
) -> Response:
    body = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status_code,
        "detail": detail,
        "code": code,
        **extra,
    }
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def _titles():
    return {
        400: gettext("Invalid request"),
        401: gettext("Authentication required"),
        403: gettext("Not allowed"),
        404: gettext("Not found"),
        405: gettext("Method not allowed"),
        406: gettext("Not acceptable"),
        409: gettext("Conflict"),
        415: gettext("Unsupported media type"),
        422: gettext("Request refused"),
        429: gettext("Too many requests"),
    }


# A refusal of a service, by kind: not allowed, changed meanwhile, any other rule.
_SERVICE_STATUS = (
    (ReturnPermissionError, status.HTTP_403_FORBIDDEN),
    (StaleReturnError, status.HTTP_409_CONFLICT),
    (ReturnError, status.HTTP_422_UNPROCESSABLE_ENTITY),
)


def _drf_code(exc: exceptions.APIException) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "invalid"
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def _detail_text(exc: exceptions.APIException) -> str:
    detail = exc.detail
    if isinstance(detail, (list, dict)):
        return gettext("Some fields are invalid: see errors.")
    return str(detail)


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: a problem for every refusal, None (a 500) for a bug."""
    titles = _titles()
    if isinstance(exc, Problem):
        return problem_response(
            exc.status_code, exc.problem_code, exc.title, str(exc.detail), **exc.extra
        )
    for kind, status_code in _SERVICE_STATUS:
        if isinstance(exc, kind):
            return problem_response(status_code, exc.code, titles[status_code], exc.message)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
        exc.status_code = status.HTTP_401_UNAUTHORIZED
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(int(exc.wait))
    extra = {}
    if isinstance(exc, exceptions.ValidationError):
        extra["errors"] = exc.detail if isinstance(exc.detail, dict) else {"": exc.detail}
    title = titles.get(exc.status_code, gettext("Error"))
    return problem_response(
        exc.status_code, _drf_code(exc), title, _detail_text(exc), headers=headers, **extra
    )
