"""{% quote_rows quote %}: a refund quote's rows written in one Python pass (portal.rows), for
the include the confirm page and a return's page share (templates/portal/_quote.html)."""

from django import template

from portal import rows

register = template.Library()
register.simple_tag(rows.quote_rows, name="quote_rows")
