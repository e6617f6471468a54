"""The back-office's login form (staff only), throttled like the portal's."""

from django.contrib.admin.forms import AdminAuthenticationForm

from shop.throttle import LoginThrottleMixin


class ThrottledAdminAuthenticationForm(LoginThrottleMixin, AdminAuthenticationForm):
    pass
