"""The customer portal's return pages: the request form, its summary, a return, cancelling it.

Thin: each page reads through the request's PortalScope (another customer's order or return is
a 404) and calls one service; return_request and return_cancel check every rule again.
"""

import secrets
from dataclasses import replace
from functools import cached_property

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from portal.forms.returns import DELIVERY_OPTION_LABELS, ReturnRequestForm
from portal.rows import history_rows, step_rows
from portal.selectors.returns import (
    active_reasons,
    customer_events,
    customer_timeline,
    portal_return,
    progress_steps,
    return_eligibility,
    return_lines,
    settled_refunds,
)
from portal.views.scope import order_or_404, portal_page
from refunds.money import money_for_returns
from refunds.quotes import quote_preview
from returns import policy
from returns.models import MAX_PHOTOS_PER_LINE, Return
from returns.rules import RuleOutcome, active_rules, evaluate_rules
from returns.selectors import ReturnableLines, return_of_form, returnable_lines
from returns.selectors.exchanges import exchange_offers
from returns.selectors.labels import read_parcel_statement
from returns.services import ReturnError, ReturnLineInput, return_cancel, return_request
from returns.services.photos import PHOTO_MAX_BYTES, PhotoError, prepare_photo
from shop.models import Order, ShopSettings
from shop.sessions import save_alone

DRAFT_KEY = "portal_return_draft"


def return_or_404(request, rma_number) -> Return:
    """The return `rma_number` in this visitor's portal scope; anyone else's is a 404."""
    try:
        return portal_return(request.portal_scope, rma_number)
    except Return.DoesNotExist:
        raise Http404(gettext("No such return.")) from None


def _acting_as(request, order: Order) -> dict:
    """Who the services see: the customer's account, or a guest verified for this order."""
    if request.portal_scope.is_customers_own(order):
        return {"actor": request.user}
    return {"actor": None, "guest_order_verified": True}


class _OrderReads:
    """The order's lines and the active rules, read once for a request of the form or its
    confirm (the lines' quantities left, the form, the rules), and the rules' verdict before
    anything is chosen, asked once for the eligibility and the form (each read them before: 7
    of a confirm's 40 queries); the lines with what is held of them in one query. return_request
    reads the lines again, under the order's lock."""

    def __init__(self, order: Order, shop_settings: ShopSettings):
        self.order = order
        self.shop_settings = shop_settings

    @cached_property
    def _returnable(self) -> ReturnableLines:
        # The lines with what the returns hold of them, in one query (two apart).
        return returnable_lines(self.order)

    @property
    def lines(self) -> list:
        return self._returnable.lines

    @property
    def remaining(self) -> dict[int, int]:
        """Per line id, what may still be returned (returns.selectors.left_to_return)."""
        return self._returnable.remaining

    @cached_property
    def rules(self) -> list:
        return active_rules()

    def evaluate(self, **chosen) -> RuleOutcome:
        """The rules' verdict for the portal (returns.rules.evaluate_rules)."""
        return evaluate_rules(
            self.order,
            channel=Return.Channel.PORTAL,
            shop_settings=self.shop_settings,
            rules=self.rules,
            order_lines=self.lines,
            **chosen,
        )

    @cached_property
    def before_choosing(self) -> RuleOutcome:
        """What the rules say before anything is chosen: the items they refuse (with why), and
        whether they send everything in store (blocked_lines_for_portal's question)."""
        return self.evaluate()


def _form(reads: _OrderReads, returnable: dict[int, int], *, offers: bool = True, **kwargs):
    """The request form; `offers` false: without the items offered in exchange, for checking
    values that ask for none (ReturnRequestForm.asks_exchange) and are not shown again."""
    order, shop_settings = reads.order, reads.shop_settings
    rules = reads.before_choosing
    lines = reads.lines
    # What may be asked in exchange for the items that may be returned (read only when the
    # shop offers exchanges), per line; the form checks each item against the units chosen.
    returnable_lines = [
        line for line in lines if returnable.get(line.pk, 0) > 0 and line.pk not in rules.blocked
    ]
    exchange_items = (
        exchange_offers(returnable_lines)
        if offers and Return.RefundMode.EXCHANGE in policy.offered_refund_modes(shop_settings)
        else {}
    )
    return ReturnRequestForm(
        order_lines=lines,
        returnable=returnable,
        reasons=active_reasons(),
        shop_settings=shop_settings,
        blocked={line_id: blocked.message for line_id, blocked in rules.blocked.items()},
        in_store_only=policy.in_store_only_whatever_chosen(rules),
        exchange_items=exchange_items,
        currency=order.currency,
        **kwargs,
    )


def _draft(request, order: Order) -> dict | None:
    draft = request.session.get(DRAFT_KEY)
    return draft["data"] if draft and draft.get("order") == order.pk else None


def _eligible_or_redirect(request, reads: _OrderReads, sent=None):
    """The order's eligibility, or the redirect that refuses it (`sent()`: the return a
    confirm sent again already made, shown instead of the refusal)."""
    order = reads.order
    eligibility = return_eligibility(
        order,
        reads.shop_settings,
        blocked=lambda: reads.before_choosing.blocked,
        order_lines=reads.lines,  # the form shows them: their quantities not read apart
        remaining=reads.remaining,
    )
    if eligibility.returnable:
        return eligibility, None
    if sent is not None and (ret := sent()) is not None:
        return eligibility, redirect("return_detail", rma_number=ret.rma_number)
    request.session.pop(DRAFT_KEY, None)
    messages.error(request, eligibility.reason)
    return eligibility, redirect("order_detail", number=order.number)


def _render_form(request, order, form, shop_settings, status=200):
    return render(
        request,
        "portal/return_form.html",
        {
            "order": order,
            "form": form,
            "rows": form.line_rows(),
            "shop": shop_settings,
            "reasons_needing_detail": [
                code for code, reason in form.reasons.items() if reason.needs_detail
            ],
        },
        status=status,
    )


@portal_page
def return_request_form(request, number):
    order = order_or_404(request, number)
    shop_settings = ShopSettings.load()
    reads = _OrderReads(order, shop_settings)
    eligibility, refusal = _eligible_or_redirect(request, reads)
    if refusal:
        return refusal
    if request.method == "POST":
        form = _form(reads, eligibility.remaining, data=request.POST)
        if form.is_valid():
            request.session[DRAFT_KEY] = {
                "order": order.pk,
                "data": form.draft(),
                "token": secrets.token_hex(16),
            }
            return redirect("return_confirm", number=order.number)
        return _render_form(request, order, form, shop_settings)
    form = _form(reads, eligibility.remaining, initial=_draft(request, order))
    return _render_form(request, order, form, shop_settings)


def _sent_already(request, order: Order) -> Return | None:
    """A confirm sent again once its return was made (a double click): that return, which the
    page shows rather than refusing the draft for the quantities it took itself. Asked only
    before a refusal: a confirm the checks let through is return_request's to give back."""
    if request.method == "POST" and DRAFT_KEY in request.session:
        return return_of_form(order, _confirm_key(request))
    return None


@portal_page
def return_request_confirm(request, number):
    order = order_or_404(request, number)
    shop_settings = ShopSettings.load()
    reads = _OrderReads(order, shop_settings)
    eligibility, refusal = _eligible_or_redirect(
        request, reads, sent=lambda: _sent_already(request, order)
    )
    if refusal:
        return refusal
    draft = _draft(request, order)
    if draft is None:
        return redirect("return_request", number=order.number)
    # The draft is checked again as if just typed: quantities, reasons or settings may have
    # changed since, and the session is no proof of anything. The summary shows no choice of
    # an item in exchange: the items offered are read when the draft asks for one, or when the
    # form is shown again.
    form = _form(
        reads, eligibility.remaining, data=draft, offers=ReturnRequestForm.asks_exchange(draft)
    )
    valid = form.is_valid()
    # The rules on the chosen items and reasons: a refusal is told now, not after confirming.
    rules = _chosen_rules(reads, form) if valid else None
    if rules is None or rules.blocked:
        sent = _sent_already(request, order)
        if sent is not None:
            return redirect("return_detail", rma_number=sent.rma_number)
        if rules is None:
            messages.error(
                request,
                gettext("Something changed since you filled in the form: please check it again."),
            )
        else:
            messages.error(request, " ".join(rules.blocked_messages()))
        form = _form(reads, eligibility.remaining, data=draft)
        form.is_valid()  # its errors shown
        return _render_form(request, order, form, shop_settings)
    if request.method == "POST":
        return _submit(request, reads, form, rules)
    return _render_summary(request, order, form, rules)


def _chosen_rules(reads: _OrderReads, form: ReturnRequestForm) -> RuleOutcome:
    """The rules' verdict on the items and reasons of a valid form."""
    return reads.evaluate(
        lines=list(form.quantities().items()),
        reason_codes=form.reason_codes(),
        delivery_option=form.cleaned_data["delivery_option"],
        # The form accepts only active reasons, read already: those that are our fault.
        our_fault_codes={code for code, reason in form.reasons.items() if reason.our_fault},
    )


def _render_summary(request, order: Order, form, rules, *, error="", status=200):
    """The summary to confirm: the items, the choices, the quote (the price difference of an
    exchange among its lines) and a field for each item's photos."""
    # The fee is the one return_request will set: the rules' (the shop's default without one).
    quote = quote_preview(
        order=order,
        quantities=form.quantities(),
        refund_mode=form.cleaned_data["refund_mode"],
        fees=rules.fees,
        exchange_variants=form.wanted_exchange_items(),
    )
    delivery_option = policy.delivery_option_for(form.cleaned_data["delivery_option"], rules)
    reasons = form.reasons
    wanted = form.wanted_exchange_items()
    chosen = [
        (row, reasons[row.reason.value()], wanted.get(row.order_line.pk))
        for row in form.line_rows()
        if int(row.quantity.value() or 0)
    ]
    return render(
        request,
        "portal/return_confirm.html",
        {
            "order": order,
            "form": form,
            "chosen": chosen,
            "quote": quote,
            "refund_mode_label": dict(form.fields["refund_mode"].choices)[
                form.cleaned_data["refund_mode"]
            ],
            "delivery_label": DELIVERY_OPTION_LABELS[delivery_option],
            "exchanges": bool(wanted),
            "keep_item": rules.keep_item,  # the rules let the customer keep every item
            "photo_error": error,
            "max_photos": MAX_PHOTOS_PER_LINE,
            "max_photo_mb": PHOTO_MAX_BYTES // (1024 * 1024),
        },
        status=status,
    )


def photos_field(order_line_id: int) -> str:
    return f"line-{order_line_id}-photos"


def _with_photos(request, lines: list[ReturnLineInput]) -> list[ReturnLineInput]:
    """Each chosen line with the photos sent for it, checked and re-encoded (PhotoError)."""
    return [
        replace(
            line,
            photos=tuple(
                prepare_photo(upload)
                for upload in request.FILES.getlist(photos_field(line.order_line_id))
            ),
        )
        for line in lines
    ]


def _submit(request, reads: _OrderReads, form: ReturnRequestForm, rules):
    # A double click, or two confirms at once, send the same draft: its token is the return's
    # idempotency key, so return_request makes one return and gives it back to both.
    order = reads.order
    try:
        ret = return_request(
            order=order,
            idempotency_key=_confirm_key(request),
            lines=_with_photos(request, form.line_inputs()),
            refund_mode=form.cleaned_data["refund_mode"],
            delivery_option=form.cleaned_data["delivery_option"],
            customer_comment=form.cleaned_data["customer_comment"],
            # What this request read for the form: return_request checks everything again
            # under the order's lock, reading there what that lock holds.
            shop_settings=reads.shop_settings,
            rules=reads.rules,
            reasons=form.reasons,
            **_acting_as(request, order),
        )
    except ReturnError as error:
        if isinstance(error, PhotoError) or error.code in PHOTO_REFUSALS:
            # Told on the summary, where the photos are chosen again; nothing was stored.
            return _render_summary(request, order, form, rules, error=error.message, status=400)
        messages.error(request, error.message)
        return redirect("return_request", number=order.number)
    request.session.pop(DRAFT_KEY, None)
    # Written now, its commit not waiting for the disk: a crash of PostgreSQL that forgot it
    # would leave the draft, whose key gives this return back if confirmed again (the
    # return's own commit did wait).
    save_alone(request.session)
    messages.success(request, _confirmation(ret) % {"rma": ret.rma_number})
    return redirect("return_detail", rma_number=ret.rma_number)


PHOTO_REFUSALS = (policy.RefusalCode.PHOTOS_MISSING, policy.RefusalCode.TOO_MANY_PHOTOS)


def _confirmation(ret: Return) -> str:
    """What the customer is told on sending the request: a rule may have approved it at once
    (its label then on the page, made after the commit), and let them keep the items."""
    if ret.keep_item and ret.status == Return.Status.RECEIVED:
        return gettext(
            "Your return %(rma)s is accepted: you keep the items, there is no parcel to send."
        )
    if ret.status == Return.Status.APPROVED:
        return gettext("Your return %(rma)s is approved.")
    return gettext(
        "Your return %(rma)s is requested. We will email you as soon as we have reviewed it."
    )


def _confirm_key(request) -> str:
    """The idempotency key of the draft being confirmed: one per filled-in form."""
    token = request.session[DRAFT_KEY].get("token")
    return f"portal:{token}" if token else ""


@portal_page
def return_detail(request, rma_number):
    ret = return_or_404(request, rma_number)
    events = customer_events(ret)
    # What the page says of the parcel follows its label's real state (made, cancelled, failed).
    parcel = read_parcel_statement(ret)
    money = money_for_returns([ret])[ret.pk]
    lines = return_lines(ret)  # with the customer's photos of each item
    timeline, steps = customer_timeline(events), progress_steps(ret, events)
    return render(
        request,
        "portal/return_detail.html",
        {
            "label": parcel.label if parcel.has_live_label else None,
            "parcel": parcel,
            "ret": ret,
            "order": ret.order,
            "lines": lines,
            "timeline": timeline,
            "history_rows": history_rows(timeline),
            "steps": steps,
            "step_rows": step_rows(steps, ret.status),
            "money": money,
            "quote": money.quote,
            "refunds": settled_refunds(ret),
            "can_cancel": policy.cancel_offered_to_customer(ret, money),
        },
    )


@require_POST
@portal_page
def return_cancel_view(request, rma_number):
    ret = return_or_404(request, rma_number)
    # The status the page showed: a return the shop moved on meanwhile is not cancelled.
    seen_status = request.POST.get("seen_status") or None
    try:
        return_cancel(ret=ret, expected_status=seen_status, **_acting_as(request, ret.order))
    except ReturnError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, gettext("Your return %(rma)s is cancelled.") % {"rma": ret.rma_number}
        )
    return redirect("return_detail", rma_number=ret.rma_number)
