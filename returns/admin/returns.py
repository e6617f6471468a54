"""The returns back-office: reasons and actions (settings), the returns overview and a return's
page (returns/admin/pages.py).

A return's status never changes from a model form: the page's "Save" and the overview's bulk
actions call the services, row by row, and report each success or refusal.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.admin.utils import label_for_field
from django.contrib.admin.views.main import ChangeList
from django.db import models
from django.db.models import Exists, OuterRef
from django.template.response import TemplateResponse
from django.urls import get_script_prefix, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from refunds import services as refund_services
from refunds.money import (
    RefundState,
    ReturnMoney,
    money_for_returns,
    refund_state,
    refund_state_condition,
    settle_amount,
)
from refunds.quotes import Quote
from returns import services
from returns.admin.forms import RejectForm
from returns.admin.kept import KeptRows, kept_string
from returns.admin.labels import ReturnLabelActionsMixin
from returns.admin.lean import (
    URL_SENTINEL,
    esc,
    lean_context,
    link_template,
    results_html,
    row_link,
)
from returns.admin.pages import ReturnPagesMixin
from returns.admin.photos import ReturnPhotosMixin
from returns.errors import ReturnError
from returns.label_state import LabelState, label_state, label_state_condition
from returns.models import Return, ReturnAction, ReturnLine, ReturnReason, exchange_items_named
from returns.selectors import backoffice as pages
from shop.brands import brand_orders
from shop.models import Brand
from shop.money import ZERO
from shop.pagination import CappedCountPaginator
from shop.templatetags.money import money


class _TranslatedListAdmin(admin.ModelAdmin):
    """Reasons and actions: created, renamed in both languages, deactivated and reordered from
    the list. They are never deleted (returns keep pointing at them): deactivate instead."""

    list_display = ["code", "name_fr", "name_en", "active", "position"]
    list_editable = ["name_fr", "name_en", "active", "position"]
    search_fields = ["code", "name_fr", "name_en"]
    ordering = ["position", "id"]
    formfield_overrides = {models.CharField: {"widget": forms.TextInput(attrs={"size": 22})}}

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "title": self.model._meta.verbose_name_plural.capitalize(),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []  # a stable identifier for code and imports

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReturnReason)
class ReturnReasonAdmin(_TranslatedListAdmin):
    list_display = [
        "code",
        "name_fr",
        "name_en",
        "restock_by_default",
        "needs_detail",
        "needs_photos",
        "active",
        "position",
    ]
    list_editable = [
        "name_fr",
        "name_en",
        "restock_by_default",
        "needs_detail",
        "needs_photos",
        "active",
        "position",
    ]


@admin.register(ReturnAction)
class ReturnActionAdmin(_TranslatedListAdmin):
    pass


# --- the overview's filters ------------------------------------------------------------------


class ReasonFilter(admin.SimpleListFilter):
    title = _("reason")
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return [(reason.code, reason.name) for reason in pages.filter_reasons()]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        # Exists, not a join: a return with two lines of that reason is listed once.
        return queryset.filter(
            Exists(ReturnLine.objects.filter(ret=OuterRef("pk"), reason__code=self.value()))
        )


class CountryFilter(admin.SimpleListFilter):
    title = _("country")
    parameter_name = "country"

    def lookups(self, request, model_admin):
        return [(code, code) for code in pages.countries_with_returns()]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(order__shipping_country=self.value())


class RefundStateFilter(admin.SimpleListFilter):
    title = _("refund")
    parameter_name = "refund_state"

    def lookups(self, request, model_admin):
        return RefundState.choices

    def queryset(self, request, queryset):
        return queryset.filter(refund_state_condition(self.value())) if self.value() else queryset


class LabelStateFilter(admin.SimpleListFilter):
    title = _("label")
    parameter_name = "label_state"

    def lookups(self, request, model_admin):
        return LabelState.choices

    def queryset(self, request, queryset):
        return queryset.filter(label_state_condition(self.value())) if self.value() else queryset


class BrandFilter(admin.SimpleListFilter):
    title = _("brand")
    parameter_name = "brand"

    def lookups(self, request, model_admin):
        return [(brand.code, brand.name) for brand in pages.filter_brands()]

    def queryset(self, request, queryset):
        brand = Brand.objects.filter(code=self.value()).first() if self.value() else None
        if brand is None:
            return queryset
        return queryset.filter(brand_orders(brand, prefix="order__"))


# --- the overview and a return's page --------------------------------------------------------


@admin.register(Return)
class ReturnAdmin(ReturnPagesMixin, ReturnLabelActionsMixin, ReturnPhotosMixin, admin.ModelAdmin):
    list_display = [
        "rma_number",
        "order_customer",
        "status_badge",
        "amount_owed",
        "refund_state",
        "label",
        "age",
    ]
    list_display_links = ["rma_number"]
    list_filter = [
        "status",
        RefundStateFilter,
        LabelStateFilter,
        "channel",
        "delivery_option",
        "refund_mode",
        ReasonFilter,
        CountryFilter,
        BrandFilter,
        "created_at",
    ]
    search_help_text = _(
        "Search by RMA number, order number, customer name, email or tracking number."
    )
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over every return
    paginator = CappedCountPaginator
    show_facets = admin.ShowFacets.NEVER  # a count per filter choice is a query each
    ordering = ["-created_at", "-id"]
    actions = [
        "approve_selected",
        "reject_selected",
        "mark_in_transit_selected",
        "receive_selected",
        "cancel_selected",
        "expire_selected",
        "mark_refunded_selected",
    ]

    def get_changelist(self, request, **kwargs):
        return _OverviewChangeList

    def get_search_fields(self, request):
        fields = [
            "rma_number",
            "order__number",
            "order__email",
            "order__customer__email",
            "order__customer__first_name",
            "order__customer__last_name",
            "order__outbound_tracking_number",
            "labels__tracking_number",
        ]
        return fields

    def get_search_results(self, request, queryset, search_term):
        # An identifier (RMA, order number, email, tracking number) is found through indexes;
        # only a free-text search (a name, part of a number) falls back to Django's scan.
        exact = pages.return_ids_for_identifier(search_term)
        if exact:
            return queryset.filter(pk__in=exact), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False  # returns are created from an order (create_return_view)

    def has_delete_permission(self, request, obj=None):
        return False  # a return is an audit record

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": gettext("Returns"), **(extra_context or {})}
        response = super().changelist_view(request, extra_context)
        if isinstance(response, TemplateResponse) and "cl" in (response.context_data or {}):
            lean_context(response)  # the filters and the actions bar written lean
        return response

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "create/<int:order_id>/",
                view(self.create_return_view),
                name="returns_return_create",
            ),
            path(
                "<path:object_id>/mark-refunded/",
                view(self.mark_refunded_view),
                name="returns_return_mark_refunded",
            ),
            *self.label_urls(),
            *self.photo_urls(),
            *super().get_urls(),
        ]

    # --- columns: each a method for the headers (its name, its sort) and for a single row; the
    # page's rows are written by _Cells in one pass ----------------------------------------

    @admin.display(description=_("order and customer"))
    def order_customer(self, obj):
        """The order (linked to its page) and its customer, one column: the list keeps the room
        for its ten figures beside the menu and the filters. Not sortable: no index of returns
        holds the order's number (a deep page sorted so took 1.4 s at a million returns); the
        search finds an order by its number."""
        return mark_safe(_Cells().order_customer(obj))

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return mark_safe(_Cells().status_badge(obj))

    @admin.display(description=_("amount owed"))
    def amount_owed(self, obj):
        """The exact quote (refunds/money.py, computed for the page's rows by
        _OverviewChangeList), and what is left of it to refund."""
        return mark_safe(_Cells().amount_owed(obj))

    @admin.display(description=_("refunded?"))
    def refund_state(self, obj):
        return mark_safe(_Cells().refund_state(obj))

    @admin.display(description=_("label"))
    def label(self, obj):
        """The label's state; a live label's tracking number links to the label's page."""
        return mark_safe(_Cells().label(obj))

    @admin.display(description=_("age and channel"), ordering="created_at")
    def age(self, obj):
        """Days since requested, and the channel it came by (one column: the list keeps the
        room for its figures beside the menu and the filters)."""
        return mark_safe(_Cells().age(obj))

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj):
        """The row's selection box written at once: the stock one renders a widget's template
        for each row."""
        return mark_safe(_Cells().action_checkbox(obj))

    # --- bulk actions: each calls the service per row and reports per row -------------------

    def _apply(self, request, queryset, service, done_message, **kwargs):
        for ret in queryset:
            try:
                # The status this action read: a row someone changes before its turn comes
                # is refused as stale rather than judged on its new status.
                service(actor=request.user, ret=ret, expected_status=ret.status, **kwargs)
            except ReturnError as exc:
                self.message_user(request, f"{ret.rma_number}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{ret.rma_number}: {done_message}", messages.SUCCESS)

    def has_approve_permission(self, request):
        return request.user.has_perm("returns.approve_return")

    def has_receive_permission(self, request):
        return request.user.has_perm("returns.receive_return")

    def has_cancel_permission(self, request):
        return request.user.has_perm("returns.cancel_return")

    def has_expire_permission(self, request):
        return request.user.has_perm("returns.expire_return")

    def has_refund_permission(self, request):
        return request.user.has_perm(refund_services.REFUND_PERMISSION)

    @admin.action(description=_("Approve the selected returns"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        self._apply(request, queryset, services.return_approve, gettext("approved."))

    @admin.action(description=_("Reject the selected returns…"), permissions=["approve"])
    def reject_selected(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._apply(
                request,
                queryset,
                services.return_reject,
                gettext("rejected."),
                reason=form.cleaned_data["reason"],
            )
            return None
        return self._ask(
            request,
            queryset,
            "reject_selected",
            form,
            gettext("Reject returns"),
            gettext(
                "These returns will be rejected, each one only if its status "
                "allows it. The customer reads the reason."
            ),
            gettext("Reject"),
        )

    @admin.action(description=_("Mark the selected returns in transit"), permissions=["receive"])
    def mark_in_transit_selected(self, request, queryset):
        self._apply(
            request, queryset, services.return_mark_in_transit, gettext("marked in transit.")
        )

    @admin.action(
        description=_("Mark the selected returns received, all items as requested"),
        permissions=["receive"],
    )
    def receive_selected(self, request, queryset):
        self._apply(request, queryset, services.return_receive, gettext("received."))

    @admin.action(description=_("Cancel the selected returns…"), permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        if "apply" not in request.POST:
            return self._ask(
                request,
                queryset,
                "cancel_selected",
                forms.Form(),
                gettext("Cancel returns"),
                gettext(
                    "These returns will be cancelled, each one only if its status "
                    "allows it. A cancelled return is final."
                ),
                gettext("Cancel the returns"),
            )
        self._apply(request, queryset, services.return_cancel, gettext("cancelled."))
        return None

    @admin.action(description=_("Expire the selected returns…"), permissions=["expire"])
    def expire_selected(self, request, queryset):
        if "apply" not in request.POST:
            return self._ask(
                request,
                queryset,
                "expire_selected",
                forms.Form(),
                gettext("Expire returns"),
                gettext(
                    "These returns will expire, each one only if it is approved; "
                    "their labels are cancelled. An expired return is final."
                ),
                gettext("Expire the returns"),
            )
        self._apply(request, queryset, services.return_expire, gettext("expired."))
        return None

    @admin.action(description=_("Mark the selected returns refunded…"), permissions=["refund"])
    def mark_refunded_selected(self, request, queryset):
        # The page of one return's "mark as refunded", for the selection, with what each return
        # is paid now, the total, and a warning for the parcels not received yet.
        returns = list(
            queryset.select_related("order__customer").annotate(
                exchange_items_named=exchange_items_named()
            )
        )
        response = self.mark_refunded_page(request, returns, action="mark_refunded_selected")
        if isinstance(response, TemplateResponse):
            response.template_name = "admin/returns/return/bulk_mark_refunded.html"
            response.context_data.update(_settle_summary(response.context_data["rows"]))
        return response

    def _ask(self, request, queryset, action, form, title, explanation, submit):
        """The intermediate page of an action that needs one answer for all the rows."""
        return TemplateResponse(
            request,
            "admin/returns/return/bulk_confirm.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "returns": queryset,
                "form": form,
                "action": action,
                "explanation": explanation,
                "submit": submit,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )


def _settle_summary(rows: list[tuple[Return, ReturnMoney]]) -> dict:
    """The bulk confirmation's figures: each return with what refund_settle pays it now
    (refunds.money.settle_amount), their totals by currency, the returns not received yet."""
    settle_rows = [
        (
            ret,
            state,
            settle_amount(
                state,
                exchange=ret.is_exchange_for_item,
                refundable=ret.status in refund_services.REFUNDABLE_STATUSES,
            ),
        )
        for ret, state in rows
    ]
    totals: dict[str, Decimal] = {}
    for _ret, state, amount in settle_rows:
        totals[state.currency] = totals.get(state.currency, ZERO) + amount
    return {
        "settle_rows": settle_rows,
        "totals": sorted(totals.items()),
        "not_received": [ret for ret, state in rows if state.parcel_awaited],
    }


def _owed_back(state: ReturnMoney, money) -> str:
    """The overview's line for a return received short after a refund before receipt: the
    customer owes the difference back."""
    if not state.owed_back:
        return ""
    words = gettext("%(amount)s owed back by the customer") % {
        "amount": money(state.owed_back, state.currency)
    }
    return f'<span class="cell-line owed-back">{esc(words)}</span>'


# The overview's cells, written 50 times a page, take their repeated words and links from
# these: a translated label is the same for every row of a status, channel or refund mode, and
# a link differs from its neighbour's by its id only (reverse() and gettext() were a third of
# the page's CPU). One dict per language.
_TEXTS: dict[str | None, dict[tuple, str]] = {}


def _texts() -> dict[tuple, str]:
    """The memo of the current language."""
    language = get_language()
    texts = _TEXTS.get(language)
    if texts is None:
        texts = _TEXTS[language] = {}
    return texts


# The quotes' one-line summaries (the amount's title), by language and quote: a summary formats
# four to six amounts (about a third of the rows' cells), and a quote (frozen, its lines a
# tuple) writes the same words each time in a language. Bounded: a quote is a few amounts.
_SUMMARIES: dict[tuple[str | None, Quote], str] = {}
_SUMMARIES_MAX = 4096


def _summary(quote: Quote) -> str:
    """quote.summary(), escaped, written once per process, language and quote."""
    key = (get_language(), quote)
    text = _SUMMARIES.get(key)
    if text is None:
        if len(_SUMMARIES) >= _SUMMARIES_MAX:
            _SUMMARIES.clear()
        text = _SUMMARIES[key] = esc(quote.summary())
    return text


# The overview's rows kept by their values (returns.admin.kept), each with its money state and
# the cells of its columns that do not change with the time of day (_STABLE_CELLS), filled as
# the table writes them: computing every row's quote and cells again was half of the page's
# CPU.
_ROWS = KeptRows()
_STABLE_CELLS = frozenset(
    ["order_customer", "status_badge", "amount_owed", "refund_state", "label"]
)


def _with_money(rows: list[Any]) -> list[Any]:
    """`rows` with their money states (refunds.money, from their columns: no query) and no
    cell written yet."""
    states = money_for_returns(rows)
    for ret in rows:
        ret.money = states[ret.pk]
    return rows


def _age_words(days: int) -> str:
    if days < 1:
        return gettext("today")
    return ngettext("%(days)s day", "%(days)s days", days) % {"days": days}


class _Cells:
    """The overview's cells as HTML strings (escaped here), for the rows of one page: one
    language, one "now", its money amounts written once each."""

    def __init__(self) -> None:
        self.texts = _texts()
        self.now = timezone.now()
        self.amounts: dict[tuple, str] = {}

    def text(self, kind: str, value, make) -> str:
        """`make()` for (`kind`, `value`), escaped, computed once per process and language."""
        key = (kind, value)
        text = self.texts.get(key)
        if text is None:
            text = self.texts[key] = esc(str(make()))
        return text

    def choice(self, obj: Any, field: str) -> str:
        """obj.get_<field>_display(), escaped, the same for every row with that value."""
        return self.text(field, getattr(obj, field), getattr(obj, f"get_{field}_display"))

    def url(self, name: str, pk: int) -> str:
        """reverse(name, args=[pk]) for a page with one integer argument, reversed once."""
        where = ("url", name, get_script_prefix())
        template = self.texts.get(where)
        if template is None:
            template = self.texts[where] = esc(reverse(name, args=[URL_SENTINEL]))
        return row_link(template, pk)

    def money(self, amount, currency: str) -> str:
        key = (amount, currency)
        text = self.amounts.get(key)
        if text is None:
            text = self.amounts[key] = money(amount, currency)
        return text

    def order_customer(self, obj: Any) -> str:
        order = obj.order
        customer = order.customer
        email = esc(order.email)
        return (
            f'<a class="cell-line" href="{self.url("admin:shop_order_change", obj.order_id)}">'
            f'{esc(order.number)}</a><span class="cell-line">'
            f"{esc(customer.full_name or customer.email)}</span>"
            f'<span class="cell-line muted" title="{email}">{email}</span>'
        )

    def status_badge(self, obj: Any) -> str:
        status = obj.status
        description = self.text("status_description", status, lambda: obj.status_description)
        return (
            f'<span class="badge badge-{esc(status)}" title="{description}">'
            f"{self.choice(obj, 'status')}</span>"
        )

    def amount_owed(self, obj: Any) -> str:
        state = obj.money
        mode = self.choice(obj, "refund_mode")
        if not state.live:  # rejected, cancelled, expired: nothing is owed
            nothing = self.text(
                "nothing", None, lambda: gettext("Nothing is owed for this return.")
            )
            return f'<span title="{nothing}">—</span><span class="muted cell-line">{mode}</span>'
        currency = state.currency
        left = ""
        if state.left_to_refund != state.quote_total:
            words = gettext("%(amount)s left") % {
                "amount": self.money(state.left_to_refund, currency)
            }
            left = f'<span class="muted cell-line">{esc(words)}</span>'
        return (
            f'<span class="amount" title="{_summary(state.quote)}">'
            f"{esc(self.money(state.quote_total, currency))}</span>"
            f'<span class="muted cell-line">{mode}</span>{left}{_owed_back(state, self.money)}'
        )

    def refund_state(self, obj: Any) -> str:
        state = refund_state(obj.money)
        words = self.text("refund_state", state.value, lambda: state.label)
        return f'<span class="refund-state refund-{esc(state.value)}">{words}</span>'

    def label(self, obj: Any) -> str:
        state = label_state(
            obj.delivery_option,
            obj.status,
            has_live_label=obj.live_label_id is not None,
            has_cancelled_label=obj.has_cancelled_label,
            kept=obj.keep_item,
        )
        words = self.text("label_state", state.value, lambda: state.label)
        if state != LabelState.CREATED:
            return f'<span class="label-state label-{esc(state.value)}">{words}</span>'
        return (
            f'<span class="label-state label-created">{words}</span>'
            '<span class="cell-line"><a class="tracking-link" '
            f'href="{self.url("admin:returns_returnlabel_change", obj.live_label_id)}">'
            f"{esc(obj.live_tracking_number)}</a></span>"
        )

    def age(self, obj: Any) -> str:
        created = obj.created_at
        days = (self.now - created).days
        words = self.text("age", days, lambda: _age_words(days))
        # The title is the date as date_format writes it: its format has no time of day.
        day = self.text("date", (created.date(), created.utcoffset()), lambda: date_format(created))
        return (
            f'<span class="age" title="{day}">{words}</span>'
            f'<span class="muted cell-line channel">{self.choice(obj, "channel")}</span>'
        )

    def action_checkbox(self, obj: Any) -> str:
        select = self.texts.get(("select",))
        if select is None:
            select = self.texts[("select",)] = gettext("Select return %(rma)s")
        words = esc(select % {"rma": obj.rma_number})
        return (
            f'<input type="checkbox" name="{ACTION_CHECKBOX_NAME}" value="{int(obj.pk)}" '
            f'class="action-select" aria-label="{words}">'
        )

    def cell(self, ret: Any, name: str) -> str:
        """The column `name` of `ret`, taken from the cells the overview keeps for its row
        (`ret.kept_cells`, see _ROWS) when it does not change with the time of day."""
        kept = getattr(ret, "kept_cells", None)
        if kept is None or name not in _STABLE_CELLS:
            return getattr(self, name)(ret)
        cell = kept.get(name)
        if cell is None:
            cell = kept[name] = getattr(self, name)(ret)
        return cell

    def row(self, ret: Any, columns: list[tuple[str, str, str]], link: str) -> str:
        """A row's cells, each classed as the stock changelist does (field-<name>) and named by
        its column's label (a phone shows each row as a card, each value under its name), the
        link column's pointing at `link`. `columns`: (kind, name, escaped label).

        A row the overview keeps (see _ROWS) keeps its last string too, written again only for
        other columns, another link (the list's filters and sort) or another age in days."""
        signature = (tuple(columns), link, (self.now - ret.created_at).days)
        return kept_string(ret, signature, self._row, ret, columns, link)

    def _row(self, ret: Any, columns: list[tuple[str, str, str]], link: str) -> str:
        cells = []
        for kind, name, label in columns:
            if kind == "checkbox":
                cells.append(f'<td class="action-checkbox">{self.action_checkbox(ret)}</td>')
            elif kind == "link":
                text = esc(getattr(ret, name))
                cells.append(f'<th class="field-{name}"><a href="{link}">{text}</a></th>')
            else:
                cell = self.cell(ret, name)
                cells.append(f'<td class="field-{name}" data-label="{label}">{cell}</td>')
        return "".join(cells)


def _date_sort(ordering: list) -> str | None:
    """The first sort on the return's date in `ordering` ("created_at" or "-created_at")."""
    return next((f for f in ordering if isinstance(f, str) and f.lstrip("-") == "created_at"), None)


class _OverviewChangeList(ChangeList):
    """The overview's list: the page's rows with their columns and money state (`row.money`)
    in one query, its ids a subquery on the ordering's index (nothing computed for skipped
    rows), whatever the number of rows or the depth of the page, none included."""

    def get_ordering(self, request, queryset):
        """The stock ordering, with the id breaking ties in the direction of the first date
        sort (oldest first: created_at, id): the (created_at, id) indexes then serve the page
        both ways with no sort."""
        ordering: list = []
        for field in super().get_ordering(request, queryset):
            name = field.lstrip("-") if isinstance(field, str) else None
            if name in ("id", "pk") or (name == "created_at" and _date_sort(ordering)):
                continue
            ordering.append(field)
        return [*ordering, "id" if _date_sort(ordering) == "created_at" else "-id"]

    def url_for_result(self, result):
        return _Cells().url("admin:returns_return_change", result.pk)

    def get_results(self, request):
        super().get_results(request)
        found = pages.overview_page(self.result_list)
        if found is None:  # sorted by an expression: its rows' values are not at hand
            self.result_list = _with_money(pages.overview_rows(self.result_list))
            return
        fetched, make = found
        self.result_list = _ROWS.page(fetched, make, _with_money)

    def overview_table(self) -> SafeString:
        """The stock results table (admin/change_list_results.html, lean.results_html): its
        headers (sorting links), and its rows, each one string of cells written by _Cells."""
        headers = list(result_headers(self))
        overview = self.model_admin
        columns = []
        for column in self.list_display:
            name = str(column)  # every column of the overview is named
            kind = "cell"
            if name == "action_checkbox":
                kind = "checkbox"
            elif name in self.list_display_links:
                kind = "link"
            label = esc(capfirst(str(label_for_field(name, self.model, overview))))
            columns.append((kind, name, label))
        cells = _Cells()
        link = link_template(self, reverse("admin:returns_return_change", args=[URL_SENTINEL]))
        rows = [cells.row(ret, columns, row_link(link, ret.pk)) for ret in self.result_list]
        return results_html(headers, rows)
