"""{{ instance|choice:"field" }}: what `instance.get_<field>_display` answers, from the
per-process table of the field's labels (returns.admin.choice_labels)."""

from django import template

from returns.admin.choice_labels import choice_label

register = template.Library()


@register.filter
def choice(instance, name: str):
    return choice_label(instance, name)
