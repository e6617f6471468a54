"""Text typed in French and in English: the one way to pick the reader's."""

from django.utils.translation import get_language


def in_language(french: str, english: str, language: str | None = None) -> str:
    """The text in `language` ("fr", "en", "en-gb"; None: the active one), the other language's
    when that one is empty: a merchant may have typed only one."""
    if (language or get_language() or "fr").startswith("en"):
        return english or french
    return french or english
