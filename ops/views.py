"""The operations endpoints: /healthz (open, for load balancers) and /metrics (a token)."""

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ops.health import CHECKS, UnknownCheck, healthy, run_checks


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every check passes, else 503; ?checks=database,migrations runs only those (a
    load balancer may want only what takes this web server out of service)."""
    names = request.GET.get("checks")
    try:
        results = run_checks(names.split(",") if names else None)
    except UnknownCheck:
        return JsonResponse({"status": "error", "known_checks": list(CHECKS)}, status=400)
    ok = healthy(results)
    return JsonResponse(
        {"status": "ok" if ok else "fail", "checks": [r.as_dict() for r in results]},
        status=200 if ok else 503,
    )


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' scrape: 404 unless metrics are on (METRICS_ENABLED with a METRICS_TOKEN), 401
    without the token as a Bearer."""
    token = settings.METRICS_TOKEN
    if not (settings.METRICS_ENABLED and token):
        raise Http404
    given = request.headers.get("Authorization", "")
    scheme, _, credentials = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        credentials.strip().encode(), token.encode()
    ):
        response = HttpResponse("401 Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    # Here, not at the top: a web worker without metrics never imports prometheus_client.
    from prometheus_client import CONTENT_TYPE_LATEST

    from ops.metrics import scrape

    return HttpResponse(scrape(), content_type=CONTENT_TYPE_LATEST)
