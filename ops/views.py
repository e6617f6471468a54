"""The operations endpoints: /healthz (open, for load balancers) and /metrics (a token)."""

from django.http import HttpRequest, JsonResponse
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
