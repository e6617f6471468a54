"""{% nav_sidebar %}: the admin's sidebar, written once per menu and current entry
(config.admin_site.nav_sidebar); {% chrome_fragment "name" %}...{% endchrome_fragment %}: a part
of the chrome written once per page template, user and language, its request's CSRF token,
path and CSP nonce put in each time (config.admin_site.chrome_fragment)."""

from django import template

from config.admin_site import chrome_fragment as written_fragment
from config.admin_site import nav_sidebar as written_sidebar

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_sidebar(context):
    return written_sidebar(context)


class _FragmentNode(template.Node):
    def __init__(self, name: str, nodelist):
        self.name, self.nodelist = name, nodelist

    def render(self, context):
        return written_fragment(self.name, self.nodelist, context)


@register.tag("chrome_fragment")
def chrome_fragment(parser, token):
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('{% chrome_fragment "name" %} takes one quoted name')
    nodelist = parser.parse(("endchrome_fragment",))
    parser.delete_first_token()
    return _FragmentNode(bits[1][1:-1], nodelist)
