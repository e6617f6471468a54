"""API keys and the responses remembered for an Idempotency-Key.

A key's secret is shown once, when a shop admin creates it; only its prefix (to recognise it)
and its SHA-256 are stored. Each key acts through a service user of its own whose permissions
are its scopes' (api/scopes.py), so the services check an API call as they check a person.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PREFIX_LENGTH = 8


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    """rk_<prefix>_<secret>: the prefix finds the row, the whole is hashed."""
    return f"rk_{secrets.token_hex(PREFIX_LENGTH // 2)}_{secrets.token_urlsafe(32)}"


class ApiKey(models.Model):
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=20, unique=True, editable=False)
    hashed_secret = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    # The user the services see acting: holds the permissions of the key's scopes.
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service user"),
        on_delete=models.PROTECT,
        related_name="api_key",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotentResponse(models.Model):
    """The first answer to a POST with an Idempotency-Key, per key and API key: a retry gets
    it again; the same key with another request is refused. `status` 0: still running."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="api_idempotency_key_unique"),
            models.CheckConstraint(
                condition=Q(status=0) | Q(status__gte=100, status__lt=600),
                name="api_idempotency_status_valid",
            ),
        ]

    def __str__(self):
        return self.key
