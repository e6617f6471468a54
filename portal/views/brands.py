"""A brand's logo (/brands/<code>/logo/, public): the portal's header and the emails show it.
Served from the storage by this view, so that it needs no web server configuration."""

import mimetypes

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.views.decorators.http import require_safe

from shop.models import Brand


@require_safe
def brand_logo(request, code):
    brand = get_object_or_404(Brand, code=code)
    if not brand.logo:
        raise Http404(gettext("This brand has no logo."))
    content_type = mimetypes.guess_type(brand.logo.name)[0] or "application/octet-stream"
    response = FileResponse(brand.logo.open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
