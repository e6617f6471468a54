"""A form renderer that writes Django's plain widgets, labels and empty error lists in Python.

Django renders each widget, label and error list of a form through its template engine (an
include per attribute list, per option); on a return's page that was a tenth of its time for a
dozen fields. This renderer writes the same HTML, character for character, as Django 5.2's
templates of those widgets (django/forms/templates/django/forms/, whitespace included: the
renderer strips its answer as Django's does); any other template, and an error list that has
errors, goes to Django's own renderer unchanged.
"""

from collections.abc import Callable

from django.forms.renderers import DjangoTemplates
from django.utils.html import escape
from django.utils.safestring import SafeData


def _text(value) -> str:
    """`{{ value }}` and `{{ value|stringformat:'s' }}` under autoescape: a safe string as it
    is, anything else escaped."""
    if isinstance(value, SafeData):
        return str(value)
    return escape(str(value))


def _attrs(attrs) -> str:
    """django/forms/widgets/attrs.html (and django/forms/attrs.html): ` name="value"`, a bare
    name for True, nothing for False."""
    if not attrs:
        return ""
    written = []
    for name, value in attrs.items():
        if value is False:
            continue
        written.append(f" {_text(name)}" if value is True else f' {_text(name)}="{_text(value)}"')
    return "".join(written)


def _input(widget: dict) -> str:
    """django/forms/widgets/input.html, its trailing newline included."""
    value = widget["value"]
    shown = "" if value is None else f' value="{_text(value)}"'
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}'
        f"{_attrs(widget['attrs'])}>\n"
    )


def _input_option(widget: dict) -> str:
    """django/forms/widgets/input_option.html (a radio's or checkbox's option)."""
    if not widget.get("wrap_label"):
        return _input(widget) + "\n"
    label_id = widget["attrs"].get("id")
    opening = f'<label for="{_text(label_id)}">' if label_id else "<label>"
    return f"{opening}{_input(widget)} {_text(widget['label'])}</label>\n"


def _textarea(widget: dict) -> str:
    value = widget["value"]
    return (
        f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{_text(value) if value else ''}</textarea>\n"
    )


def _option(option: dict) -> str:
    """django/forms/widgets/select_option.html."""
    return (
        f'<option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_text(option['label'])}</option>\n"
    )


def _select(widget: dict) -> str | None:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option["template_name"] != "django/forms/widgets/select_option.html":
                return None  # a custom option: Django's templates write it
            parts.append("\n  " + _option(option))
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>\n")
    return "".join(parts)


def _label(context: dict) -> str:
    """django/forms/label.html."""
    if not context["use_tag"]:
        return _text(context["label"]) + "\n"
    tag = _text(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{_text(context['label'])}</{tag}>\n"


_WIDGETS: dict[str, Callable[[dict], str | None]] = {
    "django/forms/widgets/input.html": _input,
    "django/forms/widgets/text.html": _input,
    "django/forms/widgets/number.html": _input,
    "django/forms/widgets/hidden.html": _input,
    "django/forms/widgets/checkbox.html": _input,
    "django/forms/widgets/radio_option.html": _input_option,
    "django/forms/widgets/checkbox_option.html": _input_option,
    "django/forms/widgets/textarea.html": _textarea,
    "django/forms/widgets/select.html": _select,
}


class LeanRenderer(DjangoTemplates):
    """Django's default renderer, but for the plain widgets, labels and empty error lists."""

    def render(self, template_name, context, request=None):
        written = self._written(template_name, context)
        if written is None:
            return super().render(template_name, context, request=request)
        return written.strip()

    def _written(self, template_name: str, context: dict) -> str | None:
        write = _WIDGETS.get(template_name)
        if write is not None:
            return write(context["widget"])
        if template_name == "django/forms/label.html":
            return _label(context)
        if template_name == "django/forms/errors/list/default.html" and not context["errors"]:
            return ""
        return None
