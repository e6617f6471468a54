"""Middleware of the site.

`RefuseUnstorableInput` answers 400 to a request whose path, query string, cookies or form
fields carry text no database column can hold (a NUL byte: PostgreSQL refuses it, and every
page that looked it up failed with a 500). It runs before any view, so no view, form or
selector needs to think of it; a JSON body is the business of its own parser
(shop.limits.load_json, returns/carriers/).
"""

from collections.abc import Callable, Iterable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse

from shop.limits import unsafe_text

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _unsafe(texts: Iterable[str]) -> str | None:
    for text in texts:
        why = unsafe_text(text)
        if why:
            return why
    return None


def _items(data) -> Iterable[str]:
    for key, values in data.lists():
        yield key
        yield from (value for value in values if isinstance(value, str))


class RefuseUnstorableInput:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        why = (
            _unsafe([request.path_info])
            or _unsafe(_items(request.GET))
            or _unsafe([*request.COOKIES.keys(), *request.COOKIES.values()])
        )
        if why is None and request.method == "POST" and request.content_type in FORM_TYPES:
            # The body is read first: a view reading request.body after request.POST can.
            request.body  # noqa: B018
            why = _unsafe(_items(request.POST))
        if why:
            # Django's 400 page, logged as a bad request (django.request, a warning).
            raise BadRequest(f"the request carries {why}")
        return self.get_response(request)
