"""{% nav_sidebar %}: the admin's sidebar, written once per menu and current entry
(config.admin_site.nav_sidebar)."""

from django import template

from config.admin_site import nav_sidebar as written_sidebar

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_sidebar(context):
    return written_sidebar(context)
