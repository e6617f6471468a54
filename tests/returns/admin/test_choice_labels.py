"""returns.admin.choice_labels answers what Django's get_FOO_display answers, in each language,
for every choice, for a value that is no choice and for an empty one."""

import pytest
from django.utils import translation

from notifications.models import Notification
from refunds.models import Refund
from returns.admin.choice_labels import choice_label
from returns.models import Return, ReturnEvent

FIELDS = [
    (ReturnEvent, "kind"),
    (ReturnEvent, "from_status"),
    (ReturnEvent, "to_status"),
    (Notification, "event"),
    (Notification, "status"),
    (Return, "status"),
    (Return, "refund_mode"),
    (Refund, "mode"),
]


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(("model", "name"), FIELDS)
def test_every_choice_reads_as_django_displays_it(language, model, name):
    values = [value for value, _label in model._meta.get_field(name).flatchoices]
    values += ["not-a-choice", ""]
    with translation.override(language):
        for value in values:
            instance = model(**{name: value})
            expected = getattr(instance, f"get_{name}_display")()
            assert choice_label(instance, name) == expected
            assert type(choice_label(instance, name)) is str


def test_the_label_follows_the_language():
    event = ReturnEvent(kind=ReturnEvent.Kind.STATUS, to_status="approved")
    with translation.override("en"):
        english = choice_label(event, "to_status")
    with translation.override("fr"):
        french = choice_label(event, "to_status")
    # Kept per language: the first language's table does not answer for the second.
    assert (english, french) == ("approved", "approuvé")
