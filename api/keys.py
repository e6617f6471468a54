"""Creating, scoping, revoking and recognising API keys (the admin and the authentication ask
these, nothing else writes an ApiKey)."""

from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from api.models import ApiKey, hash_secret, new_secret
from api.scopes import ALL_SCOPES, SCOPE_PERMISSIONS
from shop.models import User

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


def key_for_secret(secret: str) -> ApiKey | None:
    """The live key of this secret, or None (unknown, malformed or revoked)."""
    parts = secret.split("_")
    if len(parts) < 3 or parts[0] != "rk":
        return None
    key = (
        ApiKey.objects.select_related("service_user")
        .filter(prefix=parts[1], hashed_secret=hash_secret(secret), revoked_at__isnull=True)
        .first()
    )
    if key is not None:
        _touch(key)
    return key


def _touch(key: ApiKey) -> None:
    now = timezone.now()
    last = key.last_used_at
    if last is None or (now - last).total_seconds() >= LAST_USED_PRECISION_SECONDS:
        key.last_used_at = now
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
