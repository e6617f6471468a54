"""HTTP helpers every surface shares."""

from django.http import HttpResponse


def pdf_download(content: bytes, filename: str) -> HttpResponse:
    """A PDF as an attachment, never cached by a shared proxy (labels carry addresses)."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
