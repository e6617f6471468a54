"""Downloading a return label's PDF: the customer from the portal (/returns/<rma>/label/), in
the same scope as their other return pages. Only a live label downloads: a cancelled one, or a
return without a label, is a 404."""

from django.http import Http404, HttpResponse
from django.utils.translation import gettext

from shop.views import portal_page

from .labels import PDF_CONTENT_TYPE, downloadable_label, label_filename
from .models import Return
from .models_labels import ReturnLabel
from .portal_selectors import portal_return


def pdf_response(label: ReturnLabel) -> HttpResponse:
    response = HttpResponse(bytes(label.pdf), content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{label_filename(label)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@portal_page
def return_label_download(request, rma_number):
    try:
        ret = portal_return(request.portal_scope, rma_number)
    except Return.DoesNotExist:
        raise Http404(gettext("No such return.")) from None
    label = downloadable_label(ret)
    if label is None:
        raise Http404(gettext("This return has no label to download."))
    return pdf_response(label)
