"""The back-office's return pages, mixed into ReturnAdmin: a return's page (review, choose the
next status, save), creating a return from an order, and marking a return refunded.

Every change goes through a service. The forms carry the status the person saw, passed to the
services as `expected_status`; they compare it with the locked row, so a second person acting
on a stale page gets a message, not a crash, and nothing changes.
"""

from django.contrib import messages
from django.contrib.admin import AdminSite
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext

from refunds import services as refund_services
from refunds.models import RefundStatus
from refunds.money import MoneyState, markable_refunded, money_for_returns
from refunds.previews import preview_request
from returns import policy, services
from returns.admin.forms import INSPECTED, CreateReturnForm, MarkRefundedForm, ProcessReturnForm
from returns.admin.panels import emails_html, timeline_html
from returns.errors import ReturnError, StaleReturnError
from returns.locks import refuse_if_stale
from returns.models import Return, ReturnReason, ReturnStatus, exchange_items_named
from returns.selectors import backoffice as pages
from returns.selectors import return_of_form
from returns.selectors.exchanges import exchange_settled
from returns.services.creation import override_refusal
from returns.services.editing import EXCHANGE_ITEM_PERMISSION
from shop.models import Order, ShopSettings
from shop.templatetags.money import money

# The order the next-status buttons are offered in.
NEXT_STATUS_ORDER = [
    ReturnStatus.APPROVED,
    ReturnStatus.REJECTED,
    ReturnStatus.IN_TRANSIT,
    ReturnStatus.RECEIVED,
    ReturnStatus.COMPLETED,
    ReturnStatus.CANCELLED,
    ReturnStatus.EXPIRED,
]


def next_statuses(ret: Return, user, *, may_complete: bool) -> list[str]:
    """The statuses `user` may move `ret` to from its status. Completing is offered only when
    nothing is left to refund: otherwise "Mark as refunded" completes the return. A parcel
    received unopened is first inspected: that step comes before any other."""
    # django_fsm adds these methods to the model as it loads: no type can know them.
    transitions = ret.get_available_user_status_transitions(user)  # type: ignore[attr-defined]
    targets = {t.target for t in transitions}
    if not may_complete:
        targets.discard(ReturnStatus.COMPLETED)
    offered: list[str] = [status for status in NEXT_STATUS_ORDER if status in targets]
    if _awaits_inspection(ret) and user.has_perm("returns.receive_return"):
        offered.insert(0, INSPECTED)
    return offered


# The statuses that close a return, by the policy's name of their transition.
_CLOSING: dict[str, policy.Closing] = {
    ReturnStatus.CANCELLED: "cancel",
    ReturnStatus.REJECTED: "reject",
    ReturnStatus.EXPIRED: "expire",
}


def _not_refused_by_money(statuses: list[str], ret: Return, money: MoneyState) -> list[str]:
    """The statuses the page offers: not a closing one the policy refuses for the return's
    money (a refund made before receipt). A page shown before that refund may still post one:
    the service then refuses it with its reason."""
    return [
        status
        for status in statuses
        if status not in _CLOSING or policy.closing_refusal(_CLOSING[status], ret, money) is None
    ]


def _awaits_inspection(ret: Return) -> bool:
    """is_pending_inspection, read from the lines the page has already loaded."""
    return ret.status == ReturnStatus.RECEIVED and any(
        line.received_quantity is None for line in ret.lines.all()
    )


def reachable_statuses(ret: Return) -> set[str]:
    """The statuses reachable from `ret`'s status, whoever acts."""
    transitions = ret.get_available_status_transitions()  # type: ignore[attr-defined]  # django_fsm
    return {t.target for t in transitions}


def run_transition(
    target: str, ret: Return, form: ProcessReturnForm, actor, *, expected_status: str
) -> Return:
    """Call the one service that moves `ret` to `target`, from the status the page showed."""
    data = form.cleaned_data
    note, notify = data.get("status_note") or "", bool(data.get("notify"))
    seen = {"actor": actor, "ret": ret, "expected_status": expected_status}
    if target == ReturnStatus.APPROVED:
        return services.return_approve(**seen, note=note, notify=notify)
    if target == ReturnStatus.REJECTED:
        return services.return_reject(**seen, reason=data["rejection_reason"], notify=notify)
    if target == ReturnStatus.IN_TRANSIT:
        return services.return_mark_in_transit(**seen, note=note, notify=notify)
    if target == ReturnStatus.RECEIVED:
        return services.return_receive(**seen, received=form.received(), note=note, notify=notify)
    if target == INSPECTED:
        return services.return_inspect(**seen, received=form.received(), note=note)
    if target == ReturnStatus.COMPLETED:
        return services.return_complete(**seen, note=note, notify=notify)
    if target == ReturnStatus.CANCELLED:
        return services.return_cancel(**seen, note=note, notify=notify)
    if target == ReturnStatus.EXPIRED:
        return services.return_expire(**seen, note=note, notify=notify)
    raise ReturnError(gettext("This status cannot be chosen now."))


class ReturnPagesMixin:
    """The custom pages of ReturnAdmin (see returns/admin/returns.py for their URLs)."""

    # Given by the ModelAdmin this is mixed into.
    admin_site: AdminSite
    model: type[Return]

    # --- a return's page -------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        try:
            ret = pages.return_for_page(object_id)
        except (Return.DoesNotExist, ValueError, ValidationError):
            raise Http404 from None
        if not self.has_view_permission(request, ret):
            raise PermissionDenied
        if request.method == "POST":
            return self._process(request, ret)
        return self._render_return(request, ret)

    def _may_edit(self, request) -> bool:
        return request.user.has_perm("returns.change_return")

    def _may_change_exchange_item(self, request, ret: Return) -> bool:
        """Whether the page offers to change the item sent in exchange (the service's answer:
        return_change_exchange_item)."""
        return (
            request.user.has_perm(EXCHANGE_ITEM_PERMISSION)
            and policy.exchange_item_change_refusal(ret, settled=lambda: exchange_settled(ret))
            is None
        )

    def _money_facts(self, ret: Return) -> dict:
        """The return's money state (refunds/money.py) and its refunds, for the page."""
        money = money_for_returns([ret])[ret.pk]
        refunds = pages.refunds_for_page(ret)
        return {
            "money": money,
            "quote": money.quote,
            "refunds": refunds,
            "left_to_refund": money.left_to_refund,
            "pending_refunds": [r for r in refunds if r.status == RefundStatus.PENDING],
            "nothing_left": money.settled,
        }

    def _render_return(self, request, ret: Return, *, form=None, status=200):
        money = self._money_facts(ret)
        may_complete = ret.status == ReturnStatus.RECEIVED and money["nothing_left"]
        if form is None:
            offered = next_statuses(ret, request.user, may_complete=may_complete)
            form = ProcessReturnForm(
                ret=ret,
                may_edit=self._may_edit(request),
                next_statuses=_not_refused_by_money(offered, ret, money["money"]),
                may_change_exchange_item=self._may_change_exchange_item(request, ret),
            )
        exchange = ret.is_exchange_for_item
        parcel = pages.parcel_info(ret)
        may_refund = (
            request.user.has_perm(refund_services.REFUND_PERMISSION)
            and ret.status in refund_services.REFUNDABLE_STATUSES
        )
        timeline = pages.timeline_for_page(ret)
        notifications = pages.notifications_for_page(ret)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Return %(rma)s") % {"rma": ret.rma_number},
            "ret": ret,
            "order": ret.order,
            "customer": ret.order.customer,
            "lines": list(ret.lines.all()),
            "form": form,
            "parcel": parcel,
            "label_actions": policy.label_actions(ret, parcel.label, request.user, parcel.attempt),
            "timeline": timeline,
            "timeline_html": timeline_html(timeline),
            "notifications": notifications,
            "emails_html": emails_html(
                notifications, may_view=request.user.has_perm("notifications.view_notification")
            ),
            "exchange": exchange,
            "may_refund": may_refund,
            "may_mark_refunded": may_refund
            and markable_refunded(money["money"], exchange=exchange),
            "may_save": bool(form.may_edit or form.next_statuses),
            "may_view_refunds": request.user.has_perm("refunds.view_refund"),
            "refund_provider": refund_services.refund_provider_name(ret),
            **money,
        }
        return TemplateResponse(
            request, "admin/returns/return/change_form.html", context, status=status
        )

    def _process(self, request, ret: Return):
        seen_status = request.POST.get("seen_status", "")
        if seen_status not in ReturnStatus.values:
            return HttpResponseBadRequest(gettext("The form is incomplete: reload the page."))
        try:
            # Answered before the form is judged: its choices were those of the status it showed.
            # The services check again under the lock (someone may act between now and then).
            refuse_if_stale(ret, seen_status)
        except StaleReturnError as exc:
            messages.error(request, exc.message)
            return redirect("admin:returns_return_change", ret.pk)
        allowed = self._statuses_to_choose(request, ret, seen_status)
        form = ProcessReturnForm(
            request.POST,
            ret=ret,
            next_statuses=allowed,
            may_edit=self._may_edit(request),
            may_change_exchange_item=self._may_change_exchange_item(request, ret),
        )
        if not form.is_valid():
            return self._render_return(request, ret, form=form, status=200)
        changes = form.changed_fields()
        exchange_items = form.exchange_item_changes()
        target = form.cleaned_data["next_status"]
        if not changes and not target and not exchange_items:
            messages.info(request, gettext("Nothing to save: nothing was changed."))
            return redirect("admin:returns_return_change", ret.pk)
        try:
            # One Save, one outcome: the edits and the new status are kept or refused together.
            with transaction.atomic():
                if exchange_items:  # first: it locks the order, then the return
                    services.return_change_exchange_item(
                        actor=request.user,
                        ret=ret,
                        items={line.pk: variant for line, variant in exchange_items},
                        expected_status=seen_status,
                    )
                if changes:
                    services.return_update(
                        actor=request.user, ret=ret, expected_status=seen_status, **changes
                    )
                if target:
                    run_transition(target, ret, form, request.user, expected_status=seen_status)
        except StaleReturnError as exc:
            messages.error(request, exc.message)
            return redirect("admin:returns_return_change", ret.pk)
        except ReturnError as exc:
            form.add_error(None, exc.message)
            return self._render_return(request, pages.return_for_page(ret.pk), form=form)
        messages.success(request, _saved_message(ret, target))
        return redirect("admin:returns_return_change", ret.pk)

    def _statuses_to_choose(self, request, ret: Return, seen_status: str) -> list[str]:
        """The next statuses this person may choose on the page they saw; PermissionDenied when
        they posted one they may not choose, or when they may neither edit nor move the return."""
        may_complete = (
            seen_status == ReturnStatus.RECEIVED and money_for_returns([ret])[ret.pk].settled
        )
        allowed = next_statuses(ret, request.user, may_complete=may_complete)
        target = request.POST.get("next_status", "")
        if target and target not in allowed and target in reachable_statuses(ret):
            raise PermissionDenied  # a status this person may not choose
        if not (self._may_edit(request) or allowed):
            raise PermissionDenied
        return allowed

    # --- mark as refunded ------------------------------------------------------------------

    def mark_refunded_view(self, request, object_id):
        """The "mark as refunded" page of one return (its page links here)."""
        ret = get_object_or_404(_returns_to_refund(), pk=object_id)
        response = self.mark_refunded_page(request, [ret])
        return response or redirect("admin:returns_return_change", ret.pk)

    def mark_refunded_page(self, request, returns: list[Return], *, action: str = ""):
        """The one "mark as refunded" page, for one return or the overview's selection
        (`action` names the bulk action posting back): each return with its money state,
        one form, and per return one refund_settle call. None once done."""
        if not request.user.has_perm(refund_services.REFUND_PERMISSION):
            raise PermissionDenied
        states = money_for_returns(returns)
        choosable = returns[0] if len(returns) == 1 and _may_choose(returns[0], states) else None
        submitted = request.method == "POST" and "apply" in request.POST
        form = MarkRefundedForm(request.POST if submitted else None, choosable=choosable)
        if submitted and form.is_valid():
            for ret in returns:
                self._settle(request, ret, form)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Mark returns refunded"),
            "rows": [(ret, states[ret.pk]) for ret in returns],
            "form": form,
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/returns/return/mark_refunded.html", context)

    def _settle(self, request, ret: Return, form: MarkRefundedForm) -> None:
        try:
            refund = refund_services.refund_settle(
                actor=request.user,
                ret=ret,
                idempotency_key=f"{form.cleaned_data['idempotency_key']}-{ret.pk}",
                expected_status=request.POST.get(f"seen_{ret.pk}") or None,
                **form.settle_arguments(),
            )
        except ReturnError as exc:
            messages.error(request, f"{ret.rma_number}: {exc.message}")
        else:
            messages.success(
                request,
                gettext("%(rma)s: %(amount)s refunded.")
                % {"rma": ret.rma_number, "amount": money(refund.amount, refund.currency)},
            )

    # --- creating a return from an order ---------------------------------------------------

    def create_return_view(self, request, order_id):
        """The form; posted with "preview" it shows the refund of what is picked and saves
        nothing (with "fragment", only that summary, for the page's script)."""
        if not request.user.has_perm("returns.add_return"):
            raise PermissionDenied
        order = get_object_or_404(Order.objects.select_related("customer"), pk=order_id)
        previewing = request.method == "POST" and "preview" in request.POST
        made = (
            None if previewing else return_of_form(order, request.POST.get("idempotency_key", ""))
        )
        if made is not None:  # the page sent again once it went through: its return
            return redirect("admin:returns_return_change", made.pk)
        shop = ShopSettings.load()
        returnable = pages.returnable_for_form(order)
        returnability = policy.returnability(
            order, shop, channel=Return.Channel.BACKOFFICE, remaining=returnable
        )
        reasons = list(ReturnReason.objects.filter(active=True))
        form = CreateReturnForm(
            request.POST or None,
            order=order,
            lines=list(order.lines.select_related("variant__product").order_by("id")),
            returnable=returnable,
            settings=shop,
            user=request.user,
            reasons=reasons,
            returnability=returnability,
        )
        if request.method == "POST" and not previewing and form.is_valid():
            created = self._create_return(request, order, form)
            if created is not None:
                return created
        summary = _refund_summary(form, order, shop) if form.is_bound else None
        if previewing and "fragment" in request.POST:
            return TemplateResponse(
                request, "admin/returns/return/_refund_summary.html", {"summary": summary}
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "order": order,
            "form": form,
            "title": gettext("Create a return for order %(number)s") % {"number": order.number},
            "returnability": returnability,
            "override_refusal": (
                override_refusal() if not (form.may_override or returnability.returnable) else ""
            ),
            "summary": summary,
            "shop": shop,
            "may_view_order": request.user.has_perm("shop.view_order"),
            "restock_by_reason": {reason.code: reason.restock_by_default for reason in reasons},
        }
        return TemplateResponse(request, "admin/returns/return/create.html", context)

    def _create_return(self, request, order: Order, form: CreateReturnForm):
        """return_create with the form's choices: the redirect to the new return, or None with
        the service's refusal added to the form."""
        try:
            ret = services.return_create(
                actor=request.user,
                order=order,
                lines=form.line_inputs(),
                **form.service_arguments(),
            )
        except ReturnError as exc:
            form.add_error(None, exc.message)
            return None
        messages.success(
            request,
            gettext("Return %(rma)s created: %(status)s.")
            % {"rma": ret.rma_number, "status": ret.get_status_display()},
        )
        return redirect("admin:returns_return_change", ret.pk)


def _refund_summary(form: CreateReturnForm, order: Order, shop: ShopSettings):
    """The refund the picked items would get (refunds.previews, the saved return's quote), or
    None while nothing is picked."""
    form.is_valid()  # cleans the fields; a preview shows what is valid so far
    arguments = form.preview_arguments()
    if arguments is None:
        return None
    return preview_request(
        order=order, channel=Return.Channel.BACKOFFICE, shop_settings=shop, **arguments
    )


def _returns_to_refund():
    """Returns as the "mark as refunded" page and its money state read them."""
    return Return.objects.select_related("order__customer").annotate(
        exchange_items_named=exchange_items_named()
    )


def _may_choose(ret: Return, states: dict) -> bool:
    """Whether the page offers the refund's mode and a partial amount: only when a refund of
    a money-back or store-credit return is still to be made (a pending one is marked as it is,
    an exchange's difference is refunded as such)."""
    state = states[ret.pk]
    return not ret.is_exchange_for_item and not state.pending and bool(state.left_to_refund)


def _saved_message(ret: Return, target: str) -> str:
    """What the page says once a Save went through: the inspection, the new status, or the edits."""
    if target == INSPECTED:
        return gettext("Return %(rma)s: inspection recorded.") % {"rma": ret.rma_number}
    if target:
        return gettext("Return %(rma)s is now %(status)s.") % {
            "rma": ret.rma_number,
            "status": ReturnStatus(target).label,
        }
    return gettext("Return %(rma)s saved.") % {"rma": ret.rma_number}
