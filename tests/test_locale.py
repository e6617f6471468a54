"""The French catalog is complete, and the compiled catalog committed beside it is current."""

from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parents[1] / "locale"


def _catalogs():
    return sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))


def test_there_is_a_french_catalog():
    assert LOCALE / "fr" / "LC_MESSAGES" / "django.po" in _catalogs()


def test_no_catalog_has_untranslated_or_fuzzy_entries():
    for path in _catalogs():
        catalog = polib.pofile(str(path))
        untranslated = [entry.msgid for entry in catalog.untranslated_entries()]
        fuzzy = [entry.msgid for entry in catalog.fuzzy_entries()]
        assert untranslated == [], f"{path}: untranslated {untranslated[:10]}"
        assert fuzzy == [], f"{path}: fuzzy {fuzzy[:10]}"


def test_compiled_catalogs_match_their_sources():
    for path in _catalogs():
        source = {
            (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural
            for e in polib.pofile(str(path)).translated_entries()
        }
        compiled = {
            (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural
            for e in polib.mofile(str(path.with_suffix(".mo")))
            if e.msgid
        }
        assert compiled == source, f"{path.with_suffix('.mo')} is stale: run `make messages`"
