"""Writes of the shop app."""

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import F

from shop.locks import lock_customer_by_email
from shop.models import Customer, StockMovement, User, Variant


class StockError(Exception):
    pass


def stock_move(
    *,
    variant: Variant,
    quantity: int,
    kind: str,
    actor=None,
    note: str = "",
    key: str | None = None,
) -> StockMovement | None:
    """Change a variant's stock by `quantity` through a ledger row.

    With a `key`, the movement happens at most once: a second call with the same key writes
    nothing and returns None. Stock never goes below zero.
    """
    if quantity == 0:
        raise StockError("a stock movement cannot be zero")
    with transaction.atomic():
        if key is not None and StockMovement.objects.filter(key=key).exists():
            return None
        try:
            with transaction.atomic():
                movement = StockMovement.objects.create(
                    variant=variant,
                    quantity=quantity,
                    kind=kind,
                    note=note,
                    key=key,
                    created_by=actor,
                )
        except IntegrityError:
            if key is not None and StockMovement.objects.filter(key=key).exists():
                return None
            raise
        updated = (
            Variant.objects.filter(pk=variant.pk)
            .filter(stock_on_hand__gte=-quantity)
            .update(stock_on_hand=F("stock_on_hand") + quantity)
        )
        if not updated:
            raise StockError(f"not enough stock of {variant.sku} to take {-quantity}")
    variant.refresh_from_db(fields=["stock_on_hand"])
    return movement


# --- accounts (the customer portal) ----------------------------------------------------------


@dataclass(frozen=True)
class Signup:
    """What a signup did. Whoever signed up is told the same either way (check your email):
    the page must not reveal which addresses have an account."""

    new_account: User | None  # created: it gets the confirmation email
    owner_to_tell: User | None  # the address had an (active) account: its owner gets a notice


def account_signup(
    *, email: str, password: str, full_name: str = "", language: str = "fr"
) -> Signup:
    """Create a customer's account, unless the address has one: then nothing is created or
    changed, and the owner is to be told that someone tried. Orders are linked only once the
    email is confirmed (account_confirm_email): whoever types an address must not see that
    address's orders."""
    email = User.objects.normalize_email(email).strip().lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email, password, full_name=full_name.strip(), language=language
                )
            return Signup(new_account=user, owner_to_tell=None)
        except IntegrityError:  # the same address signed up at the same moment
            existing = User.objects.get(email__iexact=email)
    else:
        # As long as a creation: hashing the password is most of a signup's time.
        make_password(password)
    return Signup(new_account=None, owner_to_tell=existing if existing.is_active else None)


def account_confirm_email(*, user: User) -> Customer | None:
    """The person proved they read `user.email`: link the customer of that address to the
    account, or create one. None when that customer already belongs to another account."""
    with transaction.atomic():
        linked = Customer.objects.filter(user=user).first()
        if linked is not None:
            return linked
        customer = lock_customer_by_email(user.email)
        if customer is None:
            first, _space, last = user.full_name.strip().partition(" ")
            return Customer.objects.create(
                email=user.email,
                first_name=first,
                last_name=last,
                language=user.language,
                user=user,
            )
        if customer.user_id is not None:
            return None
        customer.user = user
        customer.save(update_fields=["user"])
        return customer


def user_set_language(*, user: User, language: str) -> None:
    """Remember the language the person chose, for the site and for their emails."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(language=language)
        Customer.objects.filter(user=user).update(language=language)
    user.language = language
