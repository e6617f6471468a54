"""Helpers of the back-office tests: staff by role, returns made through the services, and what a
page says."""

from django.urls import reverse

from returns.models import Return, ReturnStatus
from tests.factories import superuser
from tests.returns.helpers import return_in


def make_return(
    order, *quantities, status=ReturnStatus.REQUESTED, reason="wrong-size", actor=None, **extra
) -> Return:
    """A return of `order` (one quantity per order line, in id order; 0 skips the line) brought
    to `status` through the services, handed in at the shop unless `delivery_option` says."""
    extra.setdefault("delivery_option", Return.DeliveryOption.IN_STORE)
    return return_in(status, actor or superuser(), order, *quantities, reason=reason, **extra)


def page_url(ret: Return) -> str:
    return reverse("admin:returns_return_change", args=[ret.pk])
