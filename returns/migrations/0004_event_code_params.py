"""Events store the code and params of their message, rendered in the reader's language.

The notes written before were text in the actor's language: a note that reads as one of the
messages (in French or in English) gets its code and params, what else it holds stays the typed
note; any other note is kept as typed (code "text"). returns/events.py parse_legacy_note does it.
"""

from django.conf import settings
from django.db import migrations, models
from django.utils import translation


def notes_to_codes(apps, schema_editor):
    from returns.events import TEXT, parse_legacy_note

    ReturnEvent = apps.get_model("returns", "ReturnEvent")
    rows = ReturnEvent.objects.filter(code=TEXT).exclude(note="").only("code", "params", "note")
    changed = []
    for row in rows.iterator():
        row.code, row.params, row.note = parse_legacy_note(row.note)
        if row.code != TEXT:
            changed.append(row)
    ReturnEvent.objects.bulk_update(changed, ["code", "params", "note"], batch_size=500)


def codes_to_notes(apps, schema_editor):
    # Going back, the note is the text again, in the site's language.
    from returns.events import render_event

    ReturnEvent = apps.get_model("returns", "ReturnEvent")
    rows = ReturnEvent.objects.exclude(code="text").only("code", "params", "note")
    changed = []
    with translation.override(settings.LANGUAGE_CODE):
        for row in rows.iterator():
            row.note = render_event(row)
            changed.append(row)
    ReturnEvent.objects.bulk_update(changed, ["note"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0003_rules_labels_tracking"),
    ]

    operations = [
        migrations.AddField(
            model_name="returnevent",
            name="code",
            field=models.CharField(default="text", max_length=50, verbose_name="code"),
        ),
        migrations.AddField(
            model_name="returnevent",
            name="params",
            field=models.JSONField(blank=True, default=dict, verbose_name="params"),
        ),
        migrations.RunPython(notes_to_codes, codes_to_notes),
    ]
