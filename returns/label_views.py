"""Downloading a return label's PDF: the customer from the portal (/returns/<rma>/label/), in
the same scope as their other return pages. Only a live label downloads: a cancelled one, or a
return without a label, is a 404."""

from django.http import Http404, HttpResponse
from django.utils.translation import gettext

from shop.views import portal_page

from returns.labels import PDF_CONTENT_TYPE, downloadable_label, label_filename
from returns.models_labels import ReturnLabel
from returns.views import return_or_404


def pdf_response(label: ReturnLabel) -> HttpResponse:
    response = HttpResponse(bytes(label.pdf), content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{label_filename(label)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@portal_page
def return_label_download(request, rma_number):
    label = downloadable_label(return_or_404(request, rma_number))
    if label is None:
        raise Http404(gettext("This return has no label to download."))
    return pdf_response(label)
