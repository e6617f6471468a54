"""What the benchmarks (bench/) need of the site, off unless BENCH_VIEWS=true: a logged-in
minimal page, the ceiling every page's requests per second is compared with, and the number of
database queries of each response in an `X-Bench-Queries` header."""

from collections.abc import Callable

from django.conf import settings
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

QUERIES_HEADER = "X-Bench-Queries"


@never_cache
@require_GET
def minimal(request: HttpRequest) -> HttpResponse:
    """The least a logged-in page does through the same middleware (session, user): 404 unless
    BENCH_VIEWS, 403 for a visitor not logged in."""
    if not settings.BENCH_VIEWS:
        raise Http404
    if not request.user.is_authenticated:
        return HttpResponse("403 Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


class QueryCountMiddleware:
    """Counts the queries a request makes, on every database, from the first middleware on
    (settings put it first when BENCH_VIEWS is on); the count goes in the response's header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = [0]

        def counted(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        wrappers = [connections[alias].execute_wrapper(counted) for alias in connections]
        for wrapper in wrappers:
            wrapper.__enter__()
        try:
            response = self.get_response(request)
        finally:
            for wrapper in reversed(wrappers):
                wrapper.__exit__(None, None, None)
        response[QUERIES_HEADER] = str(count[0])
        return response
