"""The big back-office lists written lean (the returns overview, the orders list).

The stock changelist still decides everything (filters and their choices' links, search,
sorting, the page, the actions a user may run); these only write its filters, its actions bar
and its rows as HTML strings in one Python pass each, escaped here, where the admin renders a
template and a template context per filter, per widget (the action's select and its options)
and per cell. The HTML is the stock templates' (admin/filter.html, admin/actions.html), element
for element: `python -m bench.lists --save/--compare` checks pages before and after.
"""

from html import escape
from typing import Any

from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.views.main import ChangeList
from django.template.loader import get_template
from django.utils import timezone
from django.utils.encoding import iri_to_uri
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext

FILTER_TEMPLATE = "admin/filter.html"
# A page's rows link to the change page of ids the list does not know in advance: each link is
# this sentinel's link with its id put in (reverse() and the preserved filters once a page).
URL_SENTINEL = 2_147_483_647


def esc(value: Any) -> str:
    """conditional_escape's text: a safe string as it is, anything else escaped."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(str(value))


def display(value: Any, empty: str = "-") -> str:
    """A method column's or a text field's value as the admin shows it (display_for_value: the
    empty value's dash, an integer formatted), escaped."""
    if hasattr(value, "__html__"):
        return value.__html__() or "&nbsp;"
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return esc(empty) or "&nbsp;"
    if isinstance(value, int) and not isinstance(value, bool):
        return number_format(value)
    return escape(str(value)) or "&nbsp;"


def row_link(template: str, pk: int) -> str:
    """The link of the row `pk` from `template` (link_template's answer), escaped."""
    return template.replace(str(URL_SENTINEL), str(int(pk)), 1)


def link_template(cl: ChangeList, url_of_sentinel: str) -> str:
    """The rows' link with the preserved filters, for the sentinel id, escaped once a page."""
    preserved: dict[str, Any] = {"preserved_filters": cl.preserved_filters, "opts": cl.opts}
    return esc(add_preserved_filters(preserved, url_of_sentinel))


# The filters' panels written, by what they are written from (_panel_key): a panel is the same
# for every page of a query string in a language, while its choices' links were a tenth of the
# overview's CPU (a query string for each choice of each filter). Bounded: emptied when full.
_PANELS: dict[tuple, SafeString] = {}
_PANELS_MAX = 512


def _panel_key(cl: ChangeList) -> tuple:
    """What a panel is written from: the list's query string (its filters' selected values,
    its sort, its search), the language, today's date in the time zone (a date filter's
    links), and each filter's choices (the reasons, the brands, the countries as they are
    now). The lists using it have no filter whose choices depend on the user."""
    return (
        cl.model,
        cl.get_query_string(),
        get_language(),
        timezone.get_current_timezone_name(),
        timezone.localdate(),
        tuple((type(spec), tuple(getattr(spec, "lookup_choices", ()))) for spec in cl.filter_specs),
    )


def filters_html(cl: ChangeList) -> SafeString:
    """The filters' panel of admin/change_list.html (its `filters` block) with each filter's
    admin/filter.html written here, once per _panel_key. The lists using it show no facet
    counts."""
    if not cl.has_filters:
        return mark_safe("")
    key = _panel_key(cl)
    panel = _PANELS.get(key)
    if panel is None:
        if len(_PANELS) >= _PANELS_MAX:
            _PANELS.clear()
        panel = _PANELS[key] = _filters_panel(cl)
    return panel


def _filters_panel(cl: ChangeList) -> SafeString:
    parts = [
        '<nav id="changelist-filter" aria-labelledby="changelist-filter-header">',
        f'<h2 id="changelist-filter-header">{esc(gettext("Filter"))}</h2>',
    ]
    if cl.has_active_filters:
        clear = esc(cl.clear_all_filters_qs)
        parts.append(
            f'<div id="changelist-filter-extra-actions"><h3><a href="{clear}">'
            f"&#10006; {esc(gettext('Clear all filters'))}</a></h3></div>"
        )
    by = gettext(" By %(filter_title)s ")  # admin/filter.html's blocktranslate
    for spec in cl.filter_specs:
        if spec.template != FILTER_TEMPLATE:  # a filter of its own look: its template
            context = {"title": spec.title, "choices": list(spec.choices(cl)), "spec": spec}
            parts.append(get_template(spec.template).render(context))
            continue
        title = esc(spec.title)
        parts.append(
            f'<details data-filter-title="{title}" open><summary>'
            f"{by % {'filter_title': title}}</summary><ul>"
        )
        for choice in spec.choices(cl):
            selected = ' class="selected"' if choice.get("selected") else ""
            query = esc(iri_to_uri(str(choice["query_string"])))
            parts.append(f'<li{selected}><a href="{query}">{esc(choice["display"])}</a></li>')
        parts.append("</ul></details>")
    parts.append("</nav>")
    return mark_safe("".join(parts))


def actions_html(context: dict, action_index: int = 0) -> SafeString:
    """admin/actions.html for the changelist's `context`: the action's select written from the
    action form's choices (no widget template), the selection counter's texts."""
    cl = context["cl"]
    form = context["action_form"]
    field = form.fields["action"]
    options = "".join(
        f'<option value="{esc(value)}"{" selected" if value == "" else ""}>{esc(label)}</option>'
        for value, label in field.choices
    )
    parts = [
        '<div class="actions">',
        f'<label>{esc(field.label)} <select name="action"{" required" if field.required else ""}>'
        f"{options}</select></label>"
        '<input type="hidden" name="select_across" value="0" class="select-across">',
        f'<button type="submit" class="button" title="{esc(gettext("Run the selected action"))}" '
        f'name="index" value="{action_index}">{esc(gettext("Go"))}</button>',
    ]
    if context.get("actions_selection_counter"):
        shown = len(cl.result_list)
        parts.append(
            f'<span class="action-counter" data-actions-icnt="{shown}">'
            f"{esc(context['selection_note'])}</span>"
        )
        if cl.result_count != shown:
            select_all = gettext("Select all %(total_count)s %(module_name)s") % {
                "total_count": cl.result_count,
                "module_name": esc(context["module_name"]),
            }
            across = gettext("Click here to select the objects across all pages")
            parts.append(
                f'<span class="all hidden">{esc(context["selection_note_all"])}</span>'
                f'<span class="question hidden"><a role="button" href="#" title="{esc(across)}">'
                f"{select_all}</a></span>"
                f'<span class="clear hidden"><a role="button" href="#">'
                f"{esc(gettext('Clear selection'))}</a></span>"
            )
    parts.append("</div>")
    return mark_safe("".join(parts))


def results_html(headers: list[dict], rows: list[str]) -> SafeString:
    """admin/change_list_results.html for the list's `headers` (result_headers: their sorting
    links) and `rows` (each row's cells, one escaped string), written here: the template read
    every header's and row's variables through the template engine. The lists using it have no
    editable fields (no hidden fields, no form errors)."""
    if not rows:
        return mark_safe("")
    sorted_fields = sum(1 for header in headers if header["sortable"] and header["sorted"])
    cells = "".join(_header_cell(header, sorted_fields) for header in headers)
    body = "".join(f"<tr>{row}</tr>" for row in rows)
    return mark_safe(
        f'<div class="results"><table id="result_list"><thead><tr>{cells}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _header_cell(header: dict, sorted_fields: int) -> str:
    """One column's header as the stock template writes it (its text through capfirst)."""
    text = header["text"]
    words = capfirst(text)
    words = words if hasattr(text, "__html__") else escape(str(words))
    options = ""
    if header["sortable"] and header["sort_priority"] > 0:
        priority = header["sort_priority"]
        number = ""
        if sorted_fields > 1:
            title = gettext("Sorting priority: %(priority_number)s") % {"priority_number": priority}
            number = f'<span class="sortpriority" title="{esc(title)}">{esc(priority)}</span>'
        direction = "ascending" if header["ascending"] else "descending"
        options = (
            f'<div class="sortoptions"><a class="sortremove" href="{esc(header["url_remove"])}" '
            f'title="{esc(gettext("Remove from sorting"))}"></a>{number}'
            f'<a href="{esc(header["url_toggle"])}" class="toggle {direction}" '
            f'title="{esc(gettext("Toggle sorting"))}"></a></div>'
        )
    if header["sortable"]:
        label = f'<a href="{esc(header["url_primary"])}">{words}</a>'
    else:
        label = f"<span>{words}</span>"
    return (
        f'<th scope="col"{header["class_attrib"]}>{options}<div class="text">{label}</div>'
        '<div class="clear"></div></th>'
    )


def lean_context(response) -> None:
    """Adds the lean parts to a changelist's TemplateResponse (not rendered yet): the filters'
    panel and the actions bar, which the list's change_list.html shows instead of the stock
    tags."""
    context = response.context_data
    cl = context["cl"]
    context["lean_filters"] = filters_html(cl)
    if context.get("action_form") and cl.show_admin_actions:
        top = bool(context.get("actions_on_top"))
        if top:
            context["lean_actions_top"] = actions_html(context, 0)
        if context.get("actions_on_bottom"):
            context["lean_actions_bottom"] = actions_html(context, 1 if top else 0)
