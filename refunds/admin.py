"""Back-office pages of the refunds app.

Refunds, store-credit movements and exchange dues are read-only here: they change only through
the services, called by the admin actions and by three small pages (refund a return, mark a
refund refunded with its reference, mark an exchange due paid). Staff need the permission
refunds.manage_refund for any of them.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from refunds import selectors, services
from refunds.forms import (
    ExchangeSettleForm,
    ReferenceForm,
    RefundForm,
    RepaymentForm,
    ReversalForm,
)
from refunds.models import (
    ExchangeDue,
    Refund,
    RefundMode,
    Repayment,
    StoreCreditCode,
    StoreCreditMovement,
)
from refunds.money import money_for_order, money_for_return
from refunds.quotes import Quote
from returns.models import Return
from returns.services import ReturnError
from shop.models import Customer
from shop.pagination import CappedCountPaginator
from shop.requests import AuthenticatedRequest
from shop.templatetags.money import money

# ModelAdmin is generic in Django's types only: subscripting it at run time would fail.
if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = admin.ModelAdmin


def quote_table(quote: Quote) -> SafeString:
    """The quote's lines as a small table, the way a person checks it."""
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                line.label,
                ""
                if line.quantity is None
                else (
                    line.quantity
                    if line.requested_quantity is None
                    else gettext("%(received)s (requested %(requested)s)")
                    % {"received": line.quantity, "requested": line.requested_quantity}
                ),
                "" if line.unit_amount is None else line.unit_amount,
                line.amount,
            )
            for line in quote.lines
        ),
    )
    requested = ""
    if quote.requested_total is not None:
        requested = format_html(
            "<tr><td colspan='3'>{}</td><td>{}</td></tr>",
            gettext("Total on the requested quantities"),
            quote.requested_total,
        )
    return format_html(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
        "<tbody>{}</tbody><tfoot><tr><th colspan='3'>{}</th><th>{} {}</th></tr>{}</tfoot>"
        "</table>",
        gettext("Line"),
        gettext("Quantity"),
        gettext("Unit"),
        gettext("Amount"),
        rows,
        gettext("Total"),
        quote.total,
        quote.currency,
        requested,
    )


class _ReadOnlyAdmin(_ModelAdmin):
    show_full_result_count = False
    paginator = CappedCountPaginator
    show_facets = admin.ShowFacets.NEVER  # a count per filter choice is a query each

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(services.REFUND_PERMISSION)

    def _require_manage(self, request: HttpRequest) -> None:
        if not self.has_manage_permission(request):
            raise PermissionDenied

    def _reference_view(
        self,
        request: HttpRequest,
        obj: Refund | ExchangeDue,
        *,
        act: Callable[[str], object],
        done: str,
        title: str,
    ) -> HttpResponseBase:
        """A page asking the reference of money that moved outside the system (a bank
        transfer, the provider's dashboard), then `act(reference)`: one service call."""
        form = ReferenceForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                act(form.cleaned_data["reference"])
            except ReturnError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, done)
                return redirect(
                    f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", obj.pk
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": obj._meta,
            "object": obj,
            "title": title,
            "form": form,
            "quote": quote_table(Quote.from_json(obj.quote)),
        }
        return TemplateResponse(request, "admin/refunds/reference_form.html", context)


@admin.register(Refund)
class RefundAdmin(_ReadOnlyAdmin):
    list_display = [
        "id",
        "ret",
        "order",
        "money_amount",
        "mode",
        "status_badge",
        "is_partial",
        "reference",
        "created_at",
        "marked_by",
    ]
    list_filter = ["status", "mode", "provider", "is_partial", "created_at"]
    list_select_related = ["ret", "order", "marked_by"]
    search_fields = ["ret__rma_number", "order__number", "reference"]
    actions = ["mark_failed", "cancel_refunds", "check_at_provider"]
    # Shown, never edited (a tuple: one sequence fits the types of both attributes).
    fields = readonly_fields = (
        "ret",
        "order",
        "amount",
        "currency",
        "quote_lines",
        "mode",
        "status",
        "is_partial",
        "partial_reason",
        "reference",
        "provider",
        "provider_state",
        "provider_message",
        "note",
        "created_by",
        "created_at",
        "marked_by",
        "marked_at",
        "reversed_by",
        "reversed_at",
        "reversal_reason",
        "next_step",
    )

    @admin.display(description=_("quote"))
    def quote_lines(self, obj: Refund | ExchangeDue) -> SafeString:
        return quote_table(Quote.from_json(obj.quote))

    @admin.display(description=_("amount"), ordering="amount")
    def money_amount(self, obj: Refund) -> str:
        return money(obj.amount, obj.currency)

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: Refund) -> SafeString:
        return format_html(
            '<span class="badge badge-{}">{}</span>', obj.status, obj.get_status_display()
        )

    @admin.display(description=_("next step"))
    def next_step(self, obj: Refund) -> str:
        if obj.is_reversible:
            return format_html(
                '<a class="button" href="{}">{}</a>',
                reverse("admin:refunds_refund_reverse", args=[obj.pk]),
                gettext("Reverse this refund"),
            )
        if not services.retry_refusal(obj):
            return self._provider_step(obj, "retry", gettext("Retry this refund"))
        if obj.status != Refund.Status.PENDING:
            return "-"
        if obj.goes_through_provider:
            if services.send_refusal(obj):
                return obj.get_provider_state_display()
            return self._provider_step(obj, "send", gettext("Send it to the provider again"))
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:refunds_refund_mark_refunded", args=[obj.pk]),
            gettext("Mark as refunded"),
        )

    def _provider_step(self, obj: Refund, action: str, label: str) -> SafeString:
        """The provider's words (why it failed, or did not answer) and the button."""
        return format_html(
            '<p class="bo-warning">{}</p><a class="button" href="{}">{}</a>',
            obj.provider_message or obj.note or "-",
            reverse(f"admin:refunds_refund_{action}", args=[obj.pk]),
            label,
        )

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "return/<int:return_id>/",
                view(self.refund_return_view),
                name="refunds_refund_for_return",
            ),
            path(
                "return/<int:return_id>/owed-back/",
                view(self.owed_back_view),
                name="refunds_refund_owed_back",
            ),
            path(
                "<int:pk>/mark-refunded/",
                view(self.mark_refunded_view),
                name="refunds_refund_mark_refunded",
            ),
            path("<int:pk>/reverse/", view(self.reverse_view), name="refunds_refund_reverse"),
            path("<int:pk>/send/", view(self.send_view), name="refunds_refund_send"),
            path("<int:pk>/retry/", view(self.retry_view), name="refunds_refund_retry"),
            *super().get_urls(),
        ]

    # --- actions on the list: one service call per refund, each success or refusal reported

    @admin.action(permissions=["manage"], description=_("Mark the selected refunds as failed"))
    def mark_failed(self, request: AuthenticatedRequest, queryset: QuerySet[Refund]) -> None:
        self._each(
            request,
            queryset,
            services.refund_mark_failed,
            gettext("Refund %(refund)s marked as failed."),
        )

    @admin.action(permissions=["manage"], description=_("Cancel the selected refunds"))
    def cancel_refunds(self, request: AuthenticatedRequest, queryset: QuerySet[Refund]) -> None:
        self._each(
            request, queryset, services.refund_cancel, gettext("Refund %(refund)s cancelled.")
        )

    @admin.action(
        permissions=["manage"], description=_("Ask the provider where the selected refunds stand")
    )
    def check_at_provider(self, request: AuthenticatedRequest, queryset: QuerySet[Refund]) -> None:
        self._each(
            request,
            queryset,
            services.refund_check,
            gettext("Refund %(refund)s checked at the provider."),
        )

    def _each(
        self,
        request: AuthenticatedRequest,
        queryset: QuerySet[Refund],
        service: Callable[..., Refund],
        success: str,
    ) -> None:
        for refund in queryset:
            try:
                service(actor=request.user, refund=refund)
            except ReturnError as exc:
                self.message_user(request, f"{refund.pk}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, success % {"refund": refund.pk}, messages.SUCCESS)

    # --- pages ---------------------------------------------------------------------------------

    def refund_return_view(self, request: AuthenticatedRequest, return_id: int) -> HttpResponseBase:
        """The return's quote, and the form that refunds it (or settles its exchange)."""
        self._require_manage(request)
        ret = get_object_or_404(Return.objects.select_related("order"), pk=return_id)
        exchange = ret.is_exchange_for_item
        form_class = ExchangeSettleForm if exchange else RefundForm
        initial = {
            "idempotency_key": RefundForm.new_key(),
            "mode": (
                RefundMode.STORE_CREDIT
                if ret.refund_mode == RefundMode.STORE_CREDIT
                else RefundMode.ORIGINAL_PAYMENT
            ),
        }
        form = form_class(request.POST or None, initial=initial)
        money = money_for_return(ret)
        if request.method == "POST" and form.is_valid():
            try:
                result = self._submit(request, ret, form.cleaned_data, exchange=exchange)
            except ReturnError as exc:
                messages.error(request, exc.message)
            else:
                return result
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "ret": ret,
            "title": gettext("Refund return %(rma)s") % {"rma": ret.rma_number},
            "quote": quote_table(money.quote),
            "money": money,
            "order_money": money_for_order(ret.order),
            "form": form,
            "refunds": selectors.refunds_for_return(ret),
            "left_on_order": selectors.refundable_left_for_order(ret.order),
        }
        return TemplateResponse(request, "admin/refunds/refund_for_return.html", context)

    def _submit(
        self, request: AuthenticatedRequest, ret: Return, data: dict[str, Any], *, exchange: bool
    ) -> HttpResponse:
        key = data["idempotency_key"]
        if exchange:
            result = services.exchange_settle(actor=request.user, ret=ret, idempotency_key=key)
            if isinstance(result, ExchangeDue):
                messages.warning(
                    request,
                    gettext("The customer owes %(amount)s %(currency)s.")
                    % {"amount": result.amount, "currency": result.currency},
                )
                return redirect("admin:refunds_exchangedue_change", result.pk)
            if result is None:
                messages.success(request, gettext("Nothing to settle: the exchange is even."))
                return redirect("admin:refunds_refund_for_return", ret.pk)
            refund = result
        elif data["reference"]:
            refund = services.refund_settle(
                actor=request.user,
                ret=ret,
                reference=data["reference"],
                idempotency_key=key,
                amount=data["amount"],
                mode=data["mode"],
                reason=data["reason"],
            )
        else:
            refund = services.refund_through_provider(
                actor=request.user,
                ret=ret,
                idempotency_key=key,
                amount=data["amount"],
                mode=data["mode"],
                reason=data["reason"],
            )
        messages.success(
            request,
            gettext("Refund of %(amount)s %(currency)s: %(status)s.")
            % {
                "amount": refund.amount,
                "currency": refund.currency,
                "status": refund.get_status_display(),
            },
        )
        return redirect("admin:refunds_refund_change", refund.pk)

    def owed_back_view(self, request: AuthenticatedRequest, return_id: int) -> HttpResponseBase:
        """What the customer owes back (refunded beyond what arrived), and the form that
        records it paid back or written off."""
        self._require_manage(request)
        ret = get_object_or_404(Return.objects.select_related("order"), pk=return_id)
        form = RepaymentForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                services.repayment_record(actor=request.user, ret=ret, **form.cleaned_data)
            except ReturnError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, gettext("The amount owed back is settled."))
                return redirect("admin:returns_return_change", ret.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "ret": ret,
            "title": gettext("Amount owed back on return %(rma)s") % {"rma": ret.rma_number},
            "money": money_for_return(ret),
            "form": form,
            "repayments": list(ret.repayments.select_related("created_by")),
        }
        return TemplateResponse(request, "admin/refunds/owed_back.html", context)

    def reverse_view(self, request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
        """Confirm, with a reason, the reversal of a refund paid out (refunds.services)."""
        self._require_manage(request)
        refund = get_object_or_404(Refund.objects.select_related("ret", "order"), pk=pk)
        form = ReversalForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                services.refund_reverse(
                    actor=request.user, refund=refund, reason=form.cleaned_data["reason"]
                )
            except ReturnError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, gettext("Refund %(id)s reversed.") % {"id": refund.pk})
                return redirect("admin:refunds_refund_change", refund.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "object": refund,
            "title": gettext("Reverse refund %(id)s") % {"id": refund.pk},
            "form": form,
            "refusal": services.reversal_refusal(refund),
        }
        return TemplateResponse(request, "admin/refunds/reverse.html", context)

    def send_view(self, request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
        """Confirm, then send a pending refund to its provider again (the same refund)."""
        return self._provider_view(
            request,
            pk,
            refusal=services.send_refusal,
            act=lambda refund, key: services.refund_send(actor=request.user, refund=refund),
            title=gettext("Send refund %(id)s to the provider again"),
            button=gettext("Send it again"),
        )

    def retry_view(self, request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
        """Confirm, then retry a failed refund: a new refund of what is still owed."""
        return self._provider_view(
            request,
            pk,
            refusal=services.retry_refusal,
            act=lambda refund, key: services.refund_retry(
                actor=request.user, refund=refund, idempotency_key=key
            ),
            title=gettext("Retry refund %(id)s"),
            button=gettext("Retry the refund"),
        )

    def _provider_view(
        self,
        request: AuthenticatedRequest,
        pk: int,
        *,
        refusal: Callable[[Refund], str],
        act: Callable[[Refund, str], Refund],
        title: str,
        button: str,
    ) -> HttpResponseBase:
        self._require_manage(request)
        refund = get_object_or_404(Refund.objects.select_related("ret", "order"), pk=pk)
        form = ExchangeSettleForm(
            request.POST if request.method == "POST" else None,
            initial={"idempotency_key": RefundForm.new_key()},
        )
        if request.method == "POST" and form.is_valid():
            try:
                result = act(refund, form.cleaned_data["idempotency_key"])
            except ReturnError as exc:
                messages.error(request, exc.message)
            else:
                self._tell_outcome(request, result)
                return redirect("admin:refunds_refund_change", result.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "object": refund,
            "title": title % {"id": refund.pk},
            "button": button,
            "form": form,
            "refusal": refusal(refund),
            "money": money_for_return(refund.ret),
        }
        return TemplateResponse(request, "admin/refunds/provider_action.html", context)

    def _tell_outcome(self, request: AuthenticatedRequest, refund: Refund) -> None:
        words = gettext("Refund of %(amount)s: %(status)s.") % {
            "amount": money(refund.amount, refund.currency),
            "status": refund.get_status_display(),
        }
        if refund.provider_message:
            messages.warning(request, f"{words} {refund.provider_message}")
        else:
            messages.success(request, words)

    def mark_refunded_view(self, request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
        self._require_manage(request)
        refund = get_object_or_404(Refund.objects.select_related("ret"), pk=pk)
        return self._reference_view(
            request,
            refund,
            act=lambda reference: services.refund_mark_refunded(
                actor=request.user, refund=refund, reference=reference
            ),
            done=gettext("Refund marked as refunded."),
            title=gettext("Mark refund %(id)s as refunded") % {"id": refund.pk},
        )


@admin.register(ExchangeDue)
class ExchangeDueAdmin(_ReadOnlyAdmin):
    list_display = ["id", "ret", "order", "amount", "currency", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["ret", "order"]
    search_fields = ["ret__rma_number", "order__number", "reference"]
    # Shown, never edited (a tuple: one sequence fits the types of both attributes).
    fields = readonly_fields = (
        "ret",
        "order",
        "amount",
        "currency",
        "quote_lines",
        "status",
        "reference",
        "created_by",
        "created_at",
        "paid_by",
        "paid_at",
        "next_step",
    )

    @admin.display(description=_("quote"))
    def quote_lines(self, obj: Refund | ExchangeDue) -> SafeString:
        return quote_table(Quote.from_json(obj.quote))

    @admin.display(description=_("next step"))
    def next_step(self, obj: ExchangeDue) -> str:
        if obj.status != ExchangeDue.Status.OPEN:
            return "-"
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:refunds_exchangedue_mark_paid", args=[obj.pk]),
            gettext("Mark as paid"),
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:pk>/mark-paid/",
                self.admin_site.admin_view(self.mark_paid_view),
                name="refunds_exchangedue_mark_paid",
            ),
            *super().get_urls(),
        ]

    def mark_paid_view(self, request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
        self._require_manage(request)
        due = get_object_or_404(ExchangeDue.objects.select_related("ret"), pk=pk)
        return self._reference_view(
            request,
            due,
            act=lambda reference: services.exchange_due_mark_paid(
                actor=request.user, due=due, reference=reference
            ),
            done=gettext("Amount due marked as paid."),
            title=gettext("Mark the amount due as paid"),
        )


@admin.register(Repayment)
class RepaymentAdmin(_ReadOnlyAdmin):
    list_display = ["created_at", "ret", "order", "amount", "currency", "outcome", "created_by"]
    list_filter = ["outcome"]
    list_select_related = ["ret", "order", "created_by"]
    search_fields = ["ret__rma_number", "order__number", "reference"]
    fields = readonly_fields = (
        "ret",
        "order",
        "amount",
        "currency",
        "outcome",
        "reference",
        "note",
        "created_by",
        "created_at",
    )


@admin.register(StoreCreditMovement)
class StoreCreditMovementAdmin(_ReadOnlyAdmin):
    list_display = ["created_at", "customer", "amount", "currency", "refund", "note"]
    list_filter = ["currency"]
    list_select_related = ["customer", "refund"]
    search_fields = ["customer__email", "note"]
    # Shown, never edited (a tuple: one sequence fits the types of both attributes).
    fields = readonly_fields = (
        "customer",
        "amount",
        "currency",
        "refund",
        "note",
        "created_by",
        "created_at",
    )


@admin.register(StoreCreditCode)
class StoreCreditCodeAdmin(_ReadOnlyAdmin):
    list_display = ["code", "customer", "balance", "amount", "currency", "expires_at", "refund"]
    list_filter = ["currency"]
    list_select_related = ["customer", "refund"]
    # A code is found by itself (unique index), or by its customer's email.
    search_fields = ["=code", "customer__email"]
    fields = readonly_fields = (
        "code",
        "customer",
        "currency",
        "amount",
        "balance",
        "expires_at",
        "refund",
        "created_by",
        "created_at",
    )


class _CustomerCreditInline(admin.TabularInline):  # type: ignore[type-arg]
    """The customer's page shows the codes and the ledger (read only: only the services write
    them). Attached to shop's CustomerAdmin from here, since shop knows nothing of refunds."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CustomerCreditCodeInline(_CustomerCreditInline):
    model = StoreCreditCode
    fields = readonly_fields = ("code", "balance", "amount", "currency", "expires_at", "refund")
    verbose_name_plural = _("store credit codes")


class CustomerCreditMovementInline(_CustomerCreditInline):
    model = StoreCreditMovement
    fields = readonly_fields = ("created_at", "amount", "currency", "code", "note")
    verbose_name_plural = _("store credit movements")
    ordering = ["-created_at", "-id"]


_customer_admin = admin.site.get_model_admin(Customer)
_customer_admin.inlines = [  # type: ignore[misc]
    *_customer_admin.inlines,
    CustomerCreditCodeInline,
    CustomerCreditMovementInline,
]
