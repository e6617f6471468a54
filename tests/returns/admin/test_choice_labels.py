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


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_template_filter_writes_what_get_display_wrote(language):
    from django.template import Context, Template

    ret = Return(status="received", refund_mode="store_credit", channel="portal")
    stock = Template(
        "{{ ret.get_status_display }}|{{ ret.get_refund_mode_display|capfirst }}|"
        "{{ ret.get_channel_display }}"
    )
    ours = Template(
        "{% load choice_labels %}{{ ret|choice:'status' }}|"
        "{{ ret|choice:'refund_mode'|capfirst }}|{{ ret|choice:'channel' }}"
    )
    with translation.override(language):
        expected = stock.render(Context({"ret": ret}))
        assert ours.render(Context({"ret": ret})) == expected
    assert (
        expected
        == {
            "en": "received|Store credit|customer portal",
            "fr": "reçu|Avoir|portail client",
        }[language]
    )
