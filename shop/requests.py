"""The request of a page only signed-in users reach (the back-office, the portal's account
pages): its `user` is a User, never AnonymousUser. A type for annotations; Django builds the
requests."""

from django.http import HttpRequest

from shop.models import User


class AuthenticatedRequest(HttpRequest):
    user: User
