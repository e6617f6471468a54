from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = _("Shop")

    def ready(self):
        from django.db.models.signals import post_migrate

        from shop.roles import ensure_staff_roles

        # Permissions are created per app after migrating; completing the groups on every
        # app's signal means the last one sees them all.
        post_migrate.connect(ensure_staff_roles, dispatch_uid="shop.ensure_staff_roles")
