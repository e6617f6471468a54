from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The customer's pages: accounts, My orders, a return, the label, the guest lookup. It
    holds no models: it reads through selectors and writes through the domain's services."""

    name = "portal"
    verbose_name = _("Customer portal")
