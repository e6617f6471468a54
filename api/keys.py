"""Creating, scoping, revoking and recognising API keys (the admin and the authentication ask
these, nothing else writes an ApiKey)."""

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from api.models import ApiKey, hash_secret, new_secret
from api.scopes import ALL_SCOPES, SCOPE_PERMISSIONS
from shop.models import User
from shop.throttle import Throttle

# last_used_at is written at most this often per key: not one UPDATE per request.
LAST_USED_PRECISION_SECONDS = 60


def _permissions(scopes: list[str]):
    query = Q(pk__in=[])
    for scope in scopes:
        for name in SCOPE_PERMISSIONS[scope]:
            app_label, codename = name.split(".")
            query |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(query)


def _checked(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(unknown)}")
    return [scope for scope in ALL_SCOPES if scope in scopes]


def api_key_create(*, name: str, scopes: list[str], created_by: User | None) -> tuple[ApiKey, str]:
    """A new key and its secret, to be shown once (only its hash is kept)."""
    scopes = _checked(scopes)
    secret = new_secret()
    prefix = secret.split("_")[1]
    with transaction.atomic():
        user = User.objects.create(
            email=f"api-{prefix}@api.invalid", full_name=f"API: {name}"[:200], is_staff=False
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.user_permissions.set(_permissions(scopes))
        key = ApiKey.objects.create(
            name=name,
            prefix=prefix,
            hashed_secret=hash_secret(secret),
            scopes=scopes,
            service_user=user,
            created_by=created_by,
        )
    return key, secret


def api_key_set_scopes(key: ApiKey, scopes: list[str]) -> ApiKey:
    key.scopes = _checked(scopes)
    with transaction.atomic():
        key.save(update_fields=["scopes"])
        key.service_user.user_permissions.set(_permissions(key.scopes))
    return key


def api_key_revoke(key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def request_throttle() -> Throttle:
    """Requests per API key and minute (settings.API_REQUESTS_PER_MINUTE), counted by the
    key's prefix (unique, never changed), so that recognising the key counts the request."""
    return Throttle("api_key", settings.API_REQUESTS_PER_MINUTE, 60)


# What a request needs of its key; the other columns are loaded if ever read (deferred).
_KEY_COLUMNS = ("id", "prefix", "scopes", "service_user_id", "last_used_at")


def key_for_secret(secret: str) -> ApiKey | None:
    """The live key of this secret with this request counted (`key.throttle_count`, this
    request included), or None (unknown, malformed or revoked: nothing is counted).

    One statement: the throttle's counter is written only when the key's row is found by its
    prefix and the secret's hash, and not revoked; its columns come back with the count
    (shop.throttle.Throttle.hit_statement)."""
    parts = secret.split("_")
    if len(parts) < 3 or parts[0] != "rk":
        return None
    found = _counted_key(parts[1], hash_secret(secret))
    if found is not None:
        _touch(found)
    return found


def _counted_key(prefix: str, hashed: str) -> ApiKey | None:
    table = connection.ops.quote_name(ApiKey._meta.db_table)
    live = f"FROM {table} WHERE prefix = %s AND hashed_secret = %s AND revoked_at IS NULL"
    columns = ", ".join(
        f"(SELECT {connection.ops.quote_name(column)} FROM {table} WHERE prefix = %s) AS "
        f"{connection.ops.quote_name(column)}"
        for column in _KEY_COLUMNS
    )
    sql, params = request_throttle().hit_statement(
        prefix,
        found_in=(live, [prefix, hashed]),
        returning=(f"count AS throttle_count, {columns}", [prefix] * len(_KEY_COLUMNS)),
    )
    # raw(): the model's converters (the scopes' JSON, SQLite's datetimes) and the key's
    # other columns deferred. Its INSERT commits at once, as a throttle hit does.
    return next(iter(ApiKey.objects.raw(sql, params)), None)


def _touch(key: ApiKey) -> None:
    now = timezone.now()
    last = key.last_used_at
    if last is None or (now - last).total_seconds() >= LAST_USED_PRECISION_SECONDS:
        key.last_used_at = now
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
