"""The back-office: Django's admin, titled as the shop's, with a home made of work queues and a
menu grouped the way a returns team works (orders and returns, settings, catalogue, staff)."""

from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import BadRequest, ValidationError
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from shop.limits import id_out_of_range

# The menu's sections: (slug, title, models as "app_label.modelname"), in the order shown.
# Models not named here (added later by another app) go to a last "More" section.
MENU = [
    (
        "work",
        _("Orders and returns"),
        [
            "shop.order",
            "returns.return",
            "refunds.refund",
            "refunds.exchangedue",
            "refunds.storecreditcode",
            "refunds.storecreditmovement",
            "returns.returnlabel",
            "notifications.notification",
            "notifications.webhookdelivery",
        ],
    ),
    (
        "settings",
        _("Settings"),
        [
            "shop.shopsettings",
            "shop.brand",
            "returns.returnreason",
            "returns.returnaction",
            "returns.returnrule",
            "returns.shippingmethod",
            "notifications.emailtemplate",
            "api.apikey",
            "notifications.webhookendpoint",
        ],
    ),
    (
        "catalogue",
        _("Customers and catalogue"),
        [
            "shop.customer",
            "shop.product",
            "shop.variant",
            "shop.stockmovement",
        ],
    ),
    ("staff", _("Staff and access"), ["shop.user", "auth.group"]),
]


class BackofficeSite(admin.AdminSite):
    site_header = _("Returns back-office")
    site_title = _("Returns back-office")
    index_title = _("Today's work")
    index_template = "admin/backoffice_index.html"

    @property
    def login_form(self):
        # Imported here: the site is built while the apps load, before forms can import models.
        from config.admin_login import ThrottledAdminAuthenticationForm

        return ThrottledAdminAuthenticationForm

    def each_context(self, request):
        from shop.memo import page_settings

        context = super().each_context(request)
        # The header's shop name, as every page shows it: from the per-process memo (at most
        # MEMO_SECONDS old after another process's change), not a query on every admin page.
        shop = getattr(request, "_shop_settings", None)
        if shop is None:
            shop = request._shop_settings = page_settings()
        context["shop"] = shop
        context["site_header"] = gettext("%(shop)s · back-office") % {"shop": shop.shop_name}
        from insights.access import may_see_insights

        # The analytics link in the menu and the overview's export button (insights/access.py).
        context["may_see_insights"] = may_see_insights(request.user)
        return context

    def get_urls(self):
        from django.urls import path

        from insights.admin import analytics_view, export_view

        return [
            path("insights/analytics/", self.admin_view(analytics_view), name="insights_analytics"),
            path("insights/export/", self.admin_view(export_view), name="insights_export"),
            *super().get_urls(),
        ]

    def get_app_list(self, request, app_label=None):
        if app_label is not None:
            return super().get_app_list(request, app_label)
        # Every admin page asks for the menu (each_context), the home twice: building it
        # reverse()s two URLs and asks four permissions of every registered model, about 6 % of
        # a page. It depends only on who asks (menu_key) and on the registry, fixed once the
        # apps are loaded, so each process builds it once per key.
        key = menu_key(request.user)
        sections = _MENUS.get(key)
        if sections is None:
            sections = menu_sections(super().get_app_list(request))
            if len(_MENUS) >= _MENUS_MAX:  # a bound, not a cache policy: keys are few
                _MENUS.clear()
            _MENUS[key] = sections
        # Copies: a page that changes its menu changes no other page's.
        return [
            {**section, "models": [dict(model) for model in section["models"]]}
            for section in sections
        ]

    def admin_view(self, view, cacheable=False):
        return super().admin_view(_selection_checked(view), cacheable)

    def index(self, request, extra_context=None):
        from config.dashboard import disabled_endpoints_for, last_30_days_cached, work_queues

        extra_context = {
            **(extra_context or {}),
            "queues": work_queues(request.user),
            "chart": last_30_days_cached(),
            "disabled_endpoints": disabled_endpoints_for(request.user),
        }
        return super().index(request, extra_context)


def _selection_checked(view):
    """`view`, answering 400 when a list's action is posted with a selection that is no id of
    its model ("abc" among the ticked rows): Django's admin would fail on it with a 500."""
    model = getattr(getattr(view, "__self__", None), "model", None)
    if model is None:  # a view of the site itself (home, login): no list, no selection
        return view

    @wraps(view)
    def checked(request, *args, **kwargs):
        if request.method == "POST":
            for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
                try:
                    model._meta.pk.to_python(value)
                except ValidationError:
                    raise BadRequest(f"{ACTION_CHECKBOX_NAME}: not an id") from None
                if id_out_of_range(value):
                    raise BadRequest(f"{ACTION_CHECKBOX_NAME}: not an id")
        return view(request, *args, **kwargs)

    return checked


# The menus built, by menu_key (one process's; a web worker serves a handful of keys).
_MENUS: dict[tuple, list[dict]] = {}
_MENUS_MAX = 256


# The sidebars written, by menu key and which entries are the current page's (one process's).
_SIDEBARS: dict[tuple, tuple[list[dict], SafeString]] = {}


def nav_sidebar(context) -> SafeString:
    """admin/nav_sidebar.html for the page of `context`, written once per menu and current
    entry: every admin page shows it and it cost a template per menu entry (about 5 % of a
    list's page). The template reads the request only through `url in request.path|urlencode`
    (the current section and model), so the key is those answers, not the path: a change
    page's id does not make a sidebar of its own. A menu that differs from the one written
    (a page that changed its copy) is written afresh."""
    request = context.get("request")
    if request is None:  # a page rendered without its request: the template as it is
        return _stock_sidebar(context)
    apps = context.get("available_apps") or []
    path = quote(request.path)  # the urlencode filter's
    urls = [app.get("app_url") for app in apps]
    urls += [model.get("admin_url") for app in apps for model in app.get("models", ())]
    key = (menu_key(request.user), tuple(isinstance(url, str) and url in path for url in urls))
    memo = _SIDEBARS.get(key)
    if memo is not None and memo[0] == apps:
        return memo[1]
    html = _stock_sidebar(context)
    if len(_SIDEBARS) >= _MENUS_MAX:  # a bound, not a cache policy: keys are few
        _SIDEBARS.clear()
    _SIDEBARS[key] = (apps, html)
    return html


def _stock_sidebar(context) -> SafeString:
    return mark_safe(context.template.engine.get_template("admin/nav_sidebar.html").render(context))


# The chrome's fragments written, by page template, fragment and what they read (one process's).
_FRAGMENTS: dict[tuple, SafeString] = {}

# Stand-ins for what changes on every request, written where the fragment writes the value:
# letters only, so escaping leaves them as they are and they are found again.
_CSRF_HOLE, _PATH_HOLE, _NONCE_HOLE = "chromeHoleCsrf7Qx", "chromeHolePath7Qx", "chromeHoleNonce7Qx"


class _RequestHoles:
    """The request as a memoised fragment sees it: its path and CSP nonce are stand-ins."""

    def __init__(self, request):
        self._request = request

    def get_full_path(self) -> str:
        return _PATH_HOLE

    @property
    def csp_nonce(self) -> str:
        return _NONCE_HOLE

    def __getattr__(self, name):
        return getattr(self._request, name)


def chrome_fragment(name: str, nodelist, context) -> SafeString:
    """`nodelist` (the page's header: branding, user tools, language switch) written once per
    page template and what it reads (chrome_key), then only its request's CSRF token, path and
    CSP nonce put in: it cost about 2 ms of every back-office page, though it changes only
    with the language, the user and the site. The fragment may write those three values only
    as text (`{{ request.get_full_path }}`, `{% csrf_token %}`, `{{ request.csp_nonce }}`):
    anything it does with them besides escaping would not be done again."""
    request, token = context.get("request"), context.get("csrf_token")
    if request is None or not token or token == "NOTPROVIDED" or context.template is None:
        return mark_safe(nodelist.render(context))
    key = (name, context.template.origin.name, *chrome_key(context))
    html = _FRAGMENTS.get(key)
    if html is None:
        with context.push(csrf_token=_CSRF_HOLE, request=_RequestHoles(request)):
            html = mark_safe(nodelist.render(context))
        if len(_FRAGMENTS) >= _MENUS_MAX:  # a bound, not a cache policy: keys are few
            _FRAGMENTS.clear()
        _FRAGMENTS[key] = html
    return _filled(html, request, token)


def _filled(html: str, request, token) -> SafeString:
    # Each value read only where the fragment writes it, as the template would: a CSP nonce
    # or a CSRF token asked for is one the response then sends.
    if _CSRF_HOLE in html:
        html = html.replace(_CSRF_HOLE, escape(token))
    if _PATH_HOLE in html:
        html = html.replace(_PATH_HOLE, escape(request.get_full_path()))
    if _NONCE_HOLE in html:
        html = html.replace(_NONCE_HOLE, escape(request.csp_nonce))
    return mark_safe(html)


def chrome_key(context) -> tuple:
    """What the header reads besides its request's token, path and nonce: the site's titles
    and link, who asks (the names it shows, the links it offers them) and where URLs point in
    which language."""
    user = context.get("user")
    if user is None or user.is_anonymous:  # the login page: no names, no links
        user_parts: tuple = (None if user is None else "anonymous",)
    else:
        user_parts = (
            user.is_active,
            user.is_staff,
            user.get_short_name(),
            user.get_username(),
            user.has_usable_password(),
        )
    return (
        context.get("site_header"),
        context.get("site_title"),
        context.get("site_url"),
        context.get("has_permission"),
        *user_parts,
        get_language(),
        tuple(settings.LANGUAGES),  # the language switch's choices
        get_script_prefix(),
        get_urlconf() or settings.ROOT_URLCONF,
    )


def menu_key(user) -> tuple:
    """What the menu depends on: what the user may do (every ModelAdmin's has_*_permission here
    asks the user's permissions or answers a constant), the language its names and order are
    in, and where its URLs point. A permission given or taken, through a group too, or a
    superuser made, changes the key, so a menu is never served stale.

    A superuser's permissions are not listed: Django's backend reads every Permission row for
    that, a query the menu never needed. For anyone else they are the set has_perm already
    read and cached on the user for this request (its first permission check), no query more.
    """
    if not user.is_active:
        permissions: object = "inactive"  # has_perm answers False whatever is granted
    elif user.is_superuser:
        permissions = "superuser"
    else:
        permissions = frozenset(user.get_all_permissions())
    return (
        permissions,
        user.is_staff,
        get_language(),
        get_script_prefix(),
        get_urlconf() or settings.ROOT_URLCONF,
    )


def menu_sections(app_list: list[dict]) -> list[dict]:
    """Django's per-app list regrouped into MENU's sections (each model the user may see)."""
    models = {
        f"{app['app_label']}.{model['object_name'].lower()}": model
        for app in app_list
        for model in app["models"]
    }
    sections = []
    for slug, title, names in MENU:
        found = [models.pop(name) for name in names if name in models]
        if found:
            sections.append(_section(slug, title, found))
    if models:
        sections.append(_section("more", _("More"), list(models.values())))
    return sections


def _section(slug, title, models) -> dict:
    return {
        "name": title,
        "app_label": f"section-{slug}",
        "models": models,
        "app_url": models[0]["admin_url"],
        "has_module_perms": True,
    }


class BackofficeAdminConfig(AdminConfig):
    default_site = "config.admin_site.BackofficeSite"

    def ready(self):
        super().ready()
        # The site's system checks: production refuses to start on unsafe settings.
        from config import checks  # noqa: F401
