"""returns.admin.render.LeanRenderer writes the same HTML as Django's own renderer, widget by
widget: values and labels escaped, True and False attributes, selected and checked choices,
option groups, labels with and without an id, error lists empty or not."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from returns.admin.forms import ProcessReturnForm
from returns.admin.render import LeanRenderer

TRICKY = "a <b> & \"c\" 'd'"


class _Everything(forms.Form):
    hidden = forms.CharField(widget=forms.HiddenInput, initial=TRICKY)
    text = forms.CharField(label=TRICKY, initial=TRICKY, max_length=20)
    empty_text = forms.CharField(required=False)
    number = forms.IntegerField(initial=0, widget=forms.NumberInput(attrs={"min": 0, "max": 3}))
    decimal = forms.DecimalField(initial="12.50", required=False, disabled=True)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), initial=TRICKY)
    empty_note = forms.CharField(widget=forms.Textarea, required=False)
    checked = forms.BooleanField(initial=True, required=False)
    unchecked = forms.BooleanField(initial=False, required=False)
    choice = forms.ChoiceField(choices=[("", "---------"), ("a", TRICKY), (3, "three")], initial=3)
    grouped = forms.ChoiceField(
        choices=[("", "none"), (TRICKY, [("x", "X"), ("y", mark_safe("<i>Y</i>"))])],
        initial="y",
    )
    radio = forms.ChoiceField(
        choices=[("", "No change"), ("approved", TRICKY)], widget=forms.RadioSelect, initial=""
    )
    flagged = forms.CharField(widget=forms.TextInput(attrs={"autofocus": True, "hidden": False}))


def _pieces(form: forms.Form) -> list[str]:
    written = []
    for field in form:
        written += [str(field), str(field.label_tag()), str(field.errors)]
        if isinstance(field.field.widget, forms.RadioSelect):
            written += [str(radio.tag()) for radio in field]
            written += [str(radio.tag(wrap_label=True)) for radio in field]
    written.append(str(form.non_field_errors()))
    return written


@pytest.mark.parametrize("data", [None, {"text": "", "number": "9", "radio": "nope"}])
def test_the_lean_renderer_writes_what_djangos_writes(data):
    lean = _pieces(_Everything(data, renderer=LeanRenderer()))
    django = _pieces(_Everything(data, renderer=DjangoTemplates()))
    assert lean == django
    assert any("&lt;b&gt; &amp; &quot;c&quot; &#x27;d&#x27;" in piece for piece in lean)


def test_a_forms_auto_id_off_writes_bare_labels():
    lean = _pieces(_Everything(renderer=LeanRenderer(), auto_id=False))
    assert lean == _pieces(_Everything(renderer=DjangoTemplates(), auto_id=False))


def test_the_return_pages_form_uses_it():
    assert isinstance(ProcessReturnForm.default_renderer, LeanRenderer)
