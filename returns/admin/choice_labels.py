"""`instance.get_<field>_display()` read from a per-process table of each field's choices.

Django's get_FOO_display builds a dict of the field's flattened choices on every call, hashing
each lazy label (a translation lookup each): on a return's page, its twenty-odd status, kind
and mode labels were about a tenth of its time. A field's choices are fixed in the code, so
the labels are kept per field and language; a field whose choices are a callable (they may
change) is asked through Django as before.
"""

from collections.abc import Hashable

from django.db.models import Field, Model
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import get_language

# The labels of each (field, language): choices in the code, so a handful of keys.
_LABELS: dict[tuple[Field, str], dict[Hashable, str]] = {}


def choice_label(instance: Model, name: str):
    """What `instance.get_<name>_display()` answers: the label of its value (a string), or
    the value itself when it is no choice."""
    field = instance._meta.get_field(name)
    if not isinstance(field, Field) or not isinstance(field.choices, list | tuple):
        return getattr(instance, f"get_{name}_display")()
    key = (field, get_language())
    labels = _LABELS.get(key)
    if labels is None:
        labels = _LABELS[key] = {
            make_hashable(value): force_str(label) for value, label in field.flatchoices
        }
    value = getattr(instance, field.attname)
    # As Django's: force_str, leaving a value that is no string (None, a number) as it is.
    return force_str(labels.get(make_hashable(value), value), strings_only=True)
