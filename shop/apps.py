from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = _("Shop")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_delete, post_migrate, post_save

        from shop.datetimes import register_lenient_timestamps
        from shop.limits import guard_model_choice_ids
        from shop.memo import forget
        from shop.models import Brand, ShopSettings
        from shop.roles import ensure_staff_roles
        from shop.sessions import start_activity_clock

        # A timestamp no Python datetime can hold is read as the last (first) one, not an error
        # that breaks every page reading its row (shop/datetimes.py).
        connection_created.connect(register_lenient_timestamps, dispatch_uid="shop.timestamps")
        # A form's choice of a row by an id too long for any id column is an invalid choice.
        guard_model_choice_ids()

        # Permissions are created per app after migrating; completing the groups on every
        # app's signal means the last one sees them all.
        post_migrate.connect(ensure_staff_roles, dispatch_uid="shop.ensure_staff_roles")
        # A staff session's idle clock starts at login (config/middleware.py reads it).
        user_logged_in.connect(start_activity_clock, dispatch_uid="shop.start_activity_clock")

        # The brands and settings pages read from a per-process memo (shop/memo.py): a change
        # empties it, so this process never shows the row as it was before.
        for model in (Brand, ShopSettings):
            for signal in (post_save, post_delete):
                signal.connect(forget, sender=model, dispatch_uid=f"shop.memo.{model.__name__}")
