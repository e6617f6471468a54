"""{% portal_layout as layout %}: the parts of templates/base.html that are the same on every
request in a language (its links, its translated words, the language menu), each rendered by
its own template once per language and kept for the process. base.html rendered them on every
page, a url, translate or loop node at a time: about 1 ms of a portal page, whose own work
is often no more. What depends on the request (the user, the brand, the path, the CSRF
tokens) stays in base.html."""

from functools import lru_cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import engines
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

# Each part's template: base.html's own text, cut where a request's value comes in.
PARTS = {
    "skip_link": '<a class="skip" href="#content">{% translate "Skip to content" %}</a>',
    "home_url": "{% url 'home' %}",
    "nav_label": "{% translate 'Main' %}",
    "orders_url": "{% url 'orders' %}",
    "my_orders": '{% translate "My orders" %}',
    "credit_url": "{% url 'store_credit' %}",
    "store_credit": '{% translate "Store credit" %}',
    "logout_url": "{% url 'logout' %}",
    "logout_button": '<button type="submit" class="linkish">{% translate "Log out" %}</button>',
    "guest_links": (
        '<a href="{% url \'guest_lookup\' %}">{% translate "Find an order" %}</a>\n'
        '      <a href="{% url \'login\' %}">{% translate "Log in" %}</a>'
    ),
    "language_form": '<form class="lang" action="{% url \'set_language\' %}" method="post">',
    "language_menu": """
    <label for="language-switch" class="visually-hidden">{% translate "Language" %}</label>
    <select id="language-switch" name="language">
      {% get_current_language as LANGUAGE_CODE %}{% get_available_languages as LANGUAGES %}{% get_language_info_list for LANGUAGES as languages %}
      {% for language in languages %}
        <option value="{{ language.code }}" lang="{{ language.code }}"{% if language.code == LANGUAGE_CODE %} selected{% endif %}>{{ language.name_local|capfirst }}</option>
      {% endfor %}
    </select>
    <noscript><button type="submit" class="secondary">{% translate "Change" %}</button></noscript>
  </form>""",  # noqa: E501
    "policy_url": "{% url 'return_policy' %}",
    "policy_text": '{% translate "Return policy" %}',
}


@lru_cache(maxsize=32)
def _parts(language: str | None, prefix: str) -> dict[str, SafeString]:
    """The parts in `language` under the script prefix `prefix` (both in the key: a part's
    words and links are the same for every request that shares them)."""
    engine = engines["django"]
    return {
        name: mark_safe(engine.from_string("{% load i18n %}" + source).render({}))
        for name, source in PARTS.items()
    }


@register.simple_tag
def portal_layout() -> dict[str, SafeString]:
    return _parts(get_language(), get_script_prefix())


@receiver(setting_changed, dispatch_uid="portal.templatetags.portal_layout.forget")
def _forget(setting: str, **kwargs) -> None:
    """A test's other languages or URLs: the parts rendered again."""
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "ROOT_URLCONF"}:
        _parts.cache_clear()
