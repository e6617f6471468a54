"""Idempotency-Key on every POST, held by the database: the first request with a key (per API
key) stores its answer; a retry gets that answer again, status and body; the same key with
another request is a 422 problem; a retry while the first still runs is a 409.

The row is written before the work starts (its unique key decides which of two requests at
once runs), and its answer once the work is done. A request that fails with a 500 leaves no
row: the client may retry it. The services keep their own key too (the return's, the
refund's), so a return is made once even if this row were lost.
"""

import hashlib
import json
from functools import wraps

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from rest_framework.response import Response

from api.auth import CUSTOMER_HEADER
from api.models import IdempotentResponse
from api.problems import Problem

HEADER = "Idempotency-Key"
MAX_LENGTH = 64


def _fingerprint(request) -> str:
    what = {
        "method": request.method,
        "path": request.path,
        "customer": (request.headers.get(CUSTOMER_HEADER) or "").strip().lower(),
        "body": request.data,
    }
    text = json.dumps(what, sort_keys=True, cls=DjangoJSONEncoder)
    return hashlib.sha256(text.encode()).hexdigest()


def _key(request) -> str:
    key = (request.headers.get(HEADER) or "").strip()
    if not key or len(key) > MAX_LENGTH or not key.isprintable():
        raise Problem(
            400,
            "idempotency_key_required",
            gettext("Invalid request"),
            gettext("Send an Idempotency-Key header of 1 to %(max)d characters.")
            % {"max": MAX_LENGTH},
        )
    return key


def _claim(api_key, key: str, fingerprint: str) -> tuple[IdempotentResponse, bool]:
    """(the row, whether it is this request's own)."""
    try:
        with transaction.atomic():
            row = IdempotentResponse.objects.create(
                api_key=api_key, key=key, request_hash=fingerprint
            )
        return row, True
    except IntegrityError:
        return IdempotentResponse.objects.get(api_key=api_key, key=key), False


def _replay(row: IdempotentResponse, fingerprint: str) -> Response:
    if row.request_hash != fingerprint:
        raise Problem(
            422,
            "idempotency_key_reused",
            gettext("Request refused"),
            gettext("This Idempotency-Key was sent with another request."),
        )
    if row.status == 0:
        raise Problem(
            409,
            "idempotency_in_progress",
            gettext("Conflict"),
            gettext("A request with this Idempotency-Key is still running: retry later."),
        )
    response = Response(row.body, status=row.status, content_type=row.content_type or None)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(post):
    """Decorates a view's post(self, request, ..., idempotency_key): the key the services get
    is the API key's and the client's together."""

    @wraps(post)
    def wrapper(view, request, *args, **kwargs):
        key = _key(request)
        fingerprint = _fingerprint(request)
        row, own = _claim(request.auth, key, fingerprint)
        if not own:
            return _replay(row, fingerprint)
        service_key = f"api:{request.auth.pk}:{key}"
        try:
            try:
                response = post(view, request, *args, idempotency_key=service_key, **kwargs)
            except Exception as exc:
                response = view.handle_exception(exc)  # a problem, or raises again (a 500)
        except BaseException:
            row.delete()
            raise
        if response.status_code >= 500:
            row.delete()
            return response
        row.status = response.status_code
        row.content_type = response.content_type or ""
        row.body = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
        row.save(update_fields=["status", "content_type", "body"])
        return response

    return wrapper
