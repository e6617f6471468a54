"""Downloading a return label's PDF: the customer from the portal (/returns/<rma>/label/), in
the same scope as their other return pages. Only a live label downloads: a cancelled one, or a
return without a label, is a 404."""

from django.http import Http404
from django.utils.translation import gettext

from portal.views.returns import return_or_404
from portal.views.scope import portal_page
from returns.selectors.labels import downloadable_label, label_filename
from shop.http import pdf_download


@portal_page
def return_label_download(request, rma_number):
    label = downloadable_label(return_or_404(request, rma_number))
    if label is None:
        raise Http404(gettext("This return has no label to download."))
    return pdf_download(bytes(label.pdf), label_filename(label))
