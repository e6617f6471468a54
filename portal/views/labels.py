"""A return label in the portal: its PDF (/returns/<rma>/label/) and, for a drop-off without
printing, its QR code (/returns/<rma>/label/qr/, the image at qr.svg), in the same scope as the
visitor's other return pages. Only a live label is shown: a cancelled one, a return without a
label, or anyone else's return is a 404."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from portal.selectors.returns import portal_return_number
from portal.views.scope import portal_page
from returns.carriers import get_carrier
from returns.models import Return, ReturnLabel
from returns.selectors.labels import downloadable_label, label_filename, live_label
from shop.http import pdf_download


def _return_or_404(request, rma_number) -> Return:
    """The return `rma_number` in this visitor's portal scope, its number only (the label's
    pages show nothing else of it); anyone else's is a 404."""
    try:
        return portal_return_number(request.portal_scope, rma_number)
    except Return.DoesNotExist:
        raise Http404(gettext("No such return.")) from None


@portal_page
def return_label_download(request, rma_number):
    ret = _return_or_404(request, rma_number)
    label = downloadable_label(ret)
    if label is None:
        raise Http404(gettext("This return has no label to download."))
    label.ret = ret  # its file name says the return's number
    return pdf_download(bytes(label.pdf), label_filename(label))


def _live_label_or_404(request, rma_number) -> tuple[Return, ReturnLabel]:
    ret = _return_or_404(request, rma_number)
    label = live_label(ret)
    if label is None:
        raise Http404(gettext("This return has no label to show."))
    label.ret = ret
    return ret, label


@portal_page
def return_label_qr(request, rma_number):
    """The page the customer shows at the drop-off point: the QR code, large, and the numbers."""
    ret, label = _live_label_or_404(request, rma_number)
    return render(
        request,
        "portal/return_label_qr.html",
        {"ret": ret, "label": label, "carrier_name": get_carrier(label.carrier).name},
    )


@portal_page
def return_label_qr_svg(request, rma_number):
    """The QR code image, drawn by the label's carrier (Carrier.drop_off_qr_svg)."""
    _ret, label = _live_label_or_404(request, rma_number)
    response = HttpResponse(
        get_carrier(label.carrier).drop_off_qr_svg(label), content_type="image/svg+xml"
    )
    response["Cache-Control"] = "private, no-store"
    return response
