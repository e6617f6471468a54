"""The back-office's insight pages, registered on the admin site (config/admin_site.py): the
analytics page and the returns overview's export download."""

from __future__ import annotations

import os
import tempfile
from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import BadRequest, PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from insights import charts
from insights.access import may_see_insights
from insights.daily import page_figures
from insights.exports import csv_chunks, export_rows, json_chunks, write_xlsx
from insights.periods import Period
from insights.reports import days_ranges
from returns.models import Return
from shop.templatetags.money import money

DEFAULT_WEEKS = 12
CHART_ROWS = 10  # products and reasons drawn; the table beside lists them all


# A browser's date picker reads and writes ISO dates, whatever the language.
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AnalyticsForm(forms.Form):
    since = forms.DateField(label=_("From"), widget=_DATE)
    until = forms.DateField(label=_("To"), widget=_DATE)
    country = forms.RegexField(
        label=_("Country"),
        regex=r"^[A-Za-z]{2}$",
        required=False,
        help_text=_("Two letters (FR, BE...); empty for every country."),
        widget=forms.TextInput(attrs={"size": 3, "maxlength": 2, "autocomplete": "off"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(gettext("The first day is after the last one."))
        return data


def _default_period(today: date) -> dict[str, Any]:
    return {"since": today - timedelta(weeks=DEFAULT_WEEKS) + timedelta(days=1), "until": today}


@require_GET
def analytics_view(request: HttpRequest) -> HttpResponse:
    if not may_see_insights(request.user):
        raise PermissionDenied
    form = AnalyticsForm(request.GET or _default_period(timezone.localdate()))
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": gettext("Analytics"),
        "form": form,
    }
    if form.is_valid():
        data = form.cleaned_data
        period = Period(data["since"], data["until"], (data["country"] or "").upper())
        context.update(_figures(period))
    return TemplateResponse(request, "admin/insights/analytics.html", context)


def _figures(period: Period) -> dict[str, Any]:
    """What the page draws: every number comes from the daily figures (insights.daily), the
    figures of insights.reports summed per day, so the page reads a fixed number of rows per day
    whatever the number of returns."""
    figures = page_figures(period)
    by_product, by_reason = figures.by_product, figures.by_reason
    weeks, modes = figures.weeks, figures.modes
    total = by_product.total
    all_modes = sum(modes.values())

    def percent(value: Any) -> str:
        return "–" if value is None else f"{number_format(value, 1)} %"

    mode_rows = [
        (str(label), modes[value], round(100 * modes[value] / all_modes) if all_modes else 0)
        for value, label in Return.RefundMode.choices
    ]
    ranges = days_ranges(by_product.days_histogram)
    return {
        "period": period,
        "total": total,
        "by_product": by_product,
        "by_reason": by_reason,
        "weeks": weeks,
        "modes": mode_rows,
        "ranges": ranges,
        "product_chart": charts.horizontal(
            [(r.label, r.return_rate, percent(r.return_rate)) for r in by_product.rows[:CHART_ROWS]]
        ),
        "reason_chart": charts.horizontal(
            [
                (r.label, r.returned_units, str(r.returned_units))
                for r in by_reason.rows[:CHART_ROWS]
            ]
        ),
        "week_chart": charts.vertical(
            [
                (w.strftime("%d/%m"), refunded, credit, money(refunded + credit))
                for w, refunded, credit in weeks
            ]
        ),
        "days_chart": charts.horizontal(
            [(_range_label(first, last), n, str(n)) for first, last, n in ranges]
        ),
        "mode_chart": charts.horizontal(
            [(label, n, f"{share} %") for label, n, share in mode_rows]
        ),
    }


def _range_label(first: int, last: int | None) -> str:
    if last is None:
        return gettext("%(first)s days and more") % {"first": first}
    return gettext("%(first)s to %(last)s days") % {"first": first, "last": last}


EXPORT_FORMATS = {
    "csv": (csv_chunks, "text/csv; charset=utf-8"),
    "json": (json_chunks, "application/json"),
}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_GET
def export_view(request: HttpRequest) -> HttpResponseBase:
    """The returns of the overview's current filter, streamed as the export_returns rows.

    The overview's own changelist reads the filter (its list filters, search and date
    hierarchy), so the download holds exactly the returns the list shows, in request order."""
    if not may_see_insights(request.user):
        raise PermissionDenied
    query = request.GET.copy()
    fmt = query.pop("_format", ["csv"])[-1]
    if fmt not in EXPORT_FORMATS and fmt != "xlsx":
        raise BadRequest(f"_format: unknown {fmt!r}")
    # The changelist reads the filter from request.GET: the same one, without our parameter.
    request.GET = query  # type: ignore[assignment]
    return_admin = admin.site.get_model_admin(Return)
    changelist = return_admin.get_changelist_instance(request)
    returns = Return.objects.filter(pk__in=changelist.queryset.order_by().values("pk"))
    filename = f"returns-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"
    if fmt == "xlsx":
        return _xlsx_download(returns, filename)
    chunks, content_type = EXPORT_FORMATS[fmt]
    response = StreamingHttpResponse(chunks(export_rows(returns)), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_download(returns: QuerySet[Return], filename: str) -> FileResponse:
    """A workbook is a zip whose directory comes last, so it cannot be streamed as it is made:
    it is written (in openpyxl's flat-memory mode) to a temporary file, which is then streamed
    and disappears with its last reference (unlinked at once; the open file stays readable)."""
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as spool:
        path = spool.name
    try:
        write_xlsx(export_rows(returns), path)
        workbook = open(path, "rb")  # noqa: SIM115 (FileResponse closes it)
    finally:
        os.unlink(path)
    return FileResponse(workbook, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
