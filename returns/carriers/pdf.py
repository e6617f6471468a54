"""The printable return label: an A6 page with both addresses, the RMA number, a Code 128
barcode of the tracking number and a QR code. Any carrier may use it for its own labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO

from reportlab.graphics import renderPDF, renderSVG
from reportlab.graphics.barcode import code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

PAGE_WIDTH, PAGE_HEIGHT = A6
MARGIN = 6 * mm
BARCODE_BAR_HEIGHT = 16 * mm
BARCODE_BAR_WIDTH = 0.38 * mm
QR_SIZE = 26 * mm
MAX_ITEM_LINES = 4


@dataclass(frozen=True)
class LabelDocument:
    """What a label shows. Address blocks are lists of lines, first line in bold."""

    carrier_name: str
    tracking_number: str
    rma_number: str
    order_number: str
    sender: list[str]
    recipient: list[str]
    qr_data: str
    service: str = ""
    items: list[str] = field(default_factory=list)
    title: str = "RETURN"
    # Small print at the foot of the label (the return policy's address).
    instructions: str = ""


def _block(pdf: canvas.Canvas, x: float, top: float, heading: str, lines: list[str]) -> float:
    """An address block; returns the y below it."""
    pdf.setFont("Helvetica", 6.5)
    pdf.drawString(x, top, heading)
    y = top - 10
    for index, line in enumerate(lines):
        pdf.setFont("Helvetica-Bold" if index == 0 else "Helvetica", 9 if index == 0 else 8.5)
        pdf.drawString(x, y, line[:60])
        y -= 10
    return y


def render_label_pdf(doc: LabelDocument, *, headings: dict[str, str] | None = None) -> bytes:
    """The label as PDF bytes. `headings` translates the fixed words (from, to, ...)."""
    words = {
        "from": "FROM",
        "to": "TO",
        "rma": "RMA",
        "order": "Order",
        "items": "Items",
        "tracking": "Tracking number",
        **(headings or {}),
    }
    out = BytesIO()
    pdf = canvas.Canvas(out, pagesize=A6, pageCompression=1)
    pdf.setTitle(f"{doc.title} {doc.rma_number} {doc.tracking_number}")
    pdf.setAuthor(doc.carrier_name)
    top = PAGE_HEIGHT - MARGIN

    # Header: carrier and service, the kind of parcel.
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(MARGIN, top - 9, doc.carrier_name)
    if doc.service:
        pdf.setFont("Helvetica", 7.5)
        pdf.drawString(MARGIN, top - 18, doc.service)
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawRightString(PAGE_WIDTH - MARGIN, top - 11, doc.title)
    pdf.setLineWidth(0.8)
    pdf.line(MARGIN, top - 23, PAGE_WIDTH - MARGIN, top - 23)

    # Addresses: the customer sends, the shop receives (the larger block).
    y = _block(pdf, MARGIN, top - 33, words["from"], doc.sender)
    pdf.line(MARGIN, y + 3, PAGE_WIDTH - MARGIN, y + 3)
    y = _block(pdf, MARGIN, y - 8, words["to"], doc.recipient)

    # RMA and order numbers, large: the warehouse reads them first.
    pdf.line(MARGIN, y + 3, PAGE_WIDTH - MARGIN, y + 3)
    pdf.setFont("Helvetica", 7)
    pdf.drawString(MARGIN, y - 8, f"{words['rma']}")
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(MARGIN, y - 24, doc.rma_number)
    pdf.setFont("Helvetica", 7.5)
    pdf.drawRightString(PAGE_WIDTH - MARGIN, y - 24, f"{words['order']} {doc.order_number}")

    # Code 128 of the tracking number, with the number in clear under it.
    barcode = code128.Code128(
        doc.tracking_number,
        barHeight=BARCODE_BAR_HEIGHT,
        barWidth=BARCODE_BAR_WIDTH,
        humanReadable=False,
    )
    barcode_y = y - 34 - BARCODE_BAR_HEIGHT
    barcode.drawOn(pdf, (PAGE_WIDTH - barcode.width) / 2, barcode_y)
    pdf.setFont("Helvetica", 6.5)
    pdf.drawCentredString(PAGE_WIDTH / 2, barcode_y - 8, words["tracking"])
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawCentredString(PAGE_WIDTH / 2, barcode_y - 18, doc.tracking_number)

    # The items (a packing list for the warehouse) and the QR code.
    qr_y = MARGIN
    widget = QrCodeWidget(doc.qr_data, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(
        QR_SIZE, QR_SIZE, transform=[QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0]
    )
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, PAGE_WIDTH - MARGIN - QR_SIZE, qr_y)
    if doc.items:
        pdf.setFont("Helvetica", 6.5)
        pdf.drawString(MARGIN, qr_y + QR_SIZE - 6, words["items"])
        pdf.setFont("Helvetica", 7)
        shown = doc.items[:MAX_ITEM_LINES]
        if len(doc.items) > MAX_ITEM_LINES:
            shown = [*shown[:-1], f"+ {len(doc.items) - MAX_ITEM_LINES + 1} …"]
        for index, item in enumerate(shown):
            pdf.drawString(MARGIN, qr_y + QR_SIZE - 16 - index * 9, item[:38])
    if doc.instructions:
        pdf.setFont("Helvetica", 5.5)
        pdf.drawString(MARGIN, qr_y + 2, doc.instructions[:70])
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def qr_svg(data: str, *, size: float = 60 * mm) -> bytes:
    """A QR code of `data` as an SVG image (`size` points wide), for a screen to show."""
    widget = QrCodeWidget(data, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return renderSVG.drawToString(drawing).encode("utf-8")
