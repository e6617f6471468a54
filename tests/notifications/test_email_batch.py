"""The emails' data loaded for a batch at once (returns.notify.EmailFacts, the provider's
`batch`): every email as it was rendered one at a time before, byte for byte, and a batch's
queries the same whatever its size."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from notifications import registry
from notifications.delivery import deliver_batch, deliver_notification
from notifications.emails import render_email, template_sources
from notifications.events import EDITABLE_EVENTS
from notifications.models import EmailTemplate, Notification
from notifications.services import notification_enqueue
from refunds.models import Refund, RefundStatus
from refunds.money import money_for_return
from returns.models import Return, ReturnEvent, ReturnStatus
from returns.models.labels import LabelStatus, ReturnLabel
from returns.notify import (
    LABEL_EVENTS,
    EmailFacts,
    brand_context,
    customer_note,
    email_attachments,
    email_context,
    exchange_item,
)
from returns.policy_page import policy_url
from returns.selectors.labels import label_attachment, live_label
from shop.brands import brand_of
from shop.models import Brand, ShopSettings
from tests.factories import VariantFactory, bare_return
from tests.notifications.test_claims import CLAIM_QUERIES

pytestmark = pytest.mark.django_db

LANGUAGES = ("fr", "en")


# --- The oracle: the context as returns/notify.py computed it one email at a time before the
# batch form (commit 505d5db), nine queries an email. Kept here, frozen, to hold the batch to it.


def old_email_context(ret: Return, return_event: ReturnEvent | None = None) -> dict:
    from django.conf import settings

    order = ret.order
    brand = brand_of(order)
    lines = ret.lines.select_related("order_line__variant__product").order_by("id")
    shop_name = brand.name if brand is not None else ShopSettings.load().shop_name
    refunded = money_for_return(ret).refunded
    label = live_label(ret)
    return {
        "shop_name": shop_name,
        **brand_context(brand, shop_name),
        "rma_number": ret.rma_number,
        "order_number": order.number,
        "customer_first_name": order.customer.first_name,
        "customer_name": order.customer.full_name,
        "items": [
            {
                "product_name": line.order_line.variant.product.name,
                "option": line.order_line.variant.option,
                "quantity": line.quantity,
            }
            for line in lines
        ],
        "status": ret.status,
        "status_label": ret.customer_status_label,
        "rejection_reason": ret.rejection_reason,
        "note": customer_note(return_event),
        "exchange_item": exchange_item(ret),
        "refund_amount": refunded if refunded else None,
        "refund_mode": ret.refund_mode,
        "currency": order.currency,
        "return_url": f"{settings.SITE_URL.rstrip('/')}/returns/{ret.rma_number}/",
        "tracking_number": label.tracking_number if label is not None else "",
        "policy_url": policy_url(brand),
    }


def old_attachments(ret: Return, event: str) -> list[registry.Attachment]:
    if event not in LABEL_EVENTS:
        return []
    found = label_attachment(ret)
    return [registry.Attachment(*found)] if found is not None else []


# --- Returns in varied states ----------------------------------------------------------------


def refund(ret: Return, amount: str, status: str, key: str, *, partial: bool = False) -> None:
    Refund.objects.create(
        is_partial=partial,
        partial_reason="goodwill" if partial else "",
        ret=ret,
        order=ret.order,
        amount=Decimal(amount),
        currency="EUR",
        quote={},
        mode="original_payment",
        idempotency_key=key,
        status=status,
    )


def label(ret: Return, number: str, status: str = LabelStatus.CREATED) -> None:
    cancelled_at = timezone.now() if status == LabelStatus.CANCELLED else None
    ReturnLabel.objects.create(
        cancelled_at=cancelled_at,
        ret=ret,
        carrier="fake",
        tracking_number=number,
        pdf=b"%PDF-" + number.encode(),
        status=status,
    )


def varied_returns() -> list[tuple[Return, ReturnEvent | None]]:
    """Returns (and the change each email is about) in the states the emails tell apart."""
    ShopSettings.objects.update_or_create(pk=1, defaults={"shop_name": "Atelier <Nord> & Fils"})
    nord = Brand.objects.create(
        code="nord",
        name="Nord",
        accent_colour="#225588",
        sender_name="Nord Service",
        sender_email="service@nord.example",
        logo="brands/nord.png",
    )
    plain = bare_return(language="fr", items=[("Wool scarf", "Grey", 1), ("Cap", "", 3)])
    rejected = bare_return(
        language="en", status=ReturnStatus.REJECTED, rejection_reason="Worn <twice> & stained"
    )
    refunded = bare_return(
        language="fr", status=ReturnStatus.COMPLETED, refund_mode=Return.RefundMode.MONEY_BACK
    )
    refund(refunded, "33.73", RefundStatus.REFUNDED, "k-1")
    pending = bare_return(language="en", status=ReturnStatus.RECEIVED)
    refund(pending, "12.00", RefundStatus.PENDING, "k-3")
    partly = bare_return(language="fr", status=ReturnStatus.RECEIVED)
    refund(partly, "5.00", RefundStatus.REFUNDED, "k-6", partial=True)
    refund(partly, "3.00", RefundStatus.PENDING, "k-7", partial=True)
    early = bare_return(language="en", status=ReturnStatus.APPROVED)
    refund(early, "20.00", RefundStatus.REFUNDED, "k-4")
    exchange = bare_return(
        language="fr", status=ReturnStatus.COMPLETED, refund_mode=Return.RefundMode.EXCHANGE
    )
    exchanged = exchange.lines.get()  # the wanted variant is the line's: another size of it
    exchanged.exchange_variant = VariantFactory(
        product=exchanged.order_line.variant.product, option="XL"
    )
    exchanged.save(update_fields=["exchange_variant"])
    credited = bare_return(
        language="en", status=ReturnStatus.COMPLETED, refund_mode=Return.RefundMode.STORE_CREDIT
    )
    refund(credited, "40.00", RefundStatus.REFUNDED, "k-5")
    with_label = bare_return(language="fr", status=ReturnStatus.APPROVED)
    label(with_label, "TRK-OLD", LabelStatus.CANCELLED)
    label(with_label, "TRK-LIVE")
    cancelled_label = bare_return(language="en", status=ReturnStatus.APPROVED)
    label(cancelled_label, "TRK-GONE", LabelStatus.CANCELLED)
    branded = bare_return(language="en", status=ReturnStatus.IN_TRANSIT)
    branded.order.brand = nord
    branded.order.save(update_fields=["brand"])
    label(branded, "TRK-NORD")
    kept = bare_return(language="fr", status=ReturnStatus.RECEIVED, keep_item=True)
    expired = bare_return(language="en", status=ReturnStatus.EXPIRED)
    cancelled = bare_return(language="fr", status=ReturnStatus.CANCELLED)
    visible = ReturnEvent.objects.create(
        ret=plain, from_status="requested", to_status="approved", note="See you <soon> & thanks"
    )
    hidden = ReturnEvent.objects.create(
        ret=rejected, note="internal only", visible_to_customer=False
    )
    return [
        (plain, visible),
        (rejected, hidden),
        (refunded, None),
        (pending, None),
        (partly, None),
        (early, None),
        (exchange, None),
        (credited, None),
        (with_label, None),
        (cancelled_label, None),
        (branded, None),
        (kept, None),
        (expired, None),
        (cancelled, None),
    ]


def fetched(ret: Return) -> Return:
    """The return as the worker's claim reads it (notification_related)."""
    return Return.objects.select_related("order__customer").get(pk=ret.pk)


def test_every_email_of_a_batch_is_byte_identical_to_the_email_sent_alone_before():
    # given: returns in varied states, with and without a brand, and then the default brand
    cases = varied_returns()
    for with_default_brand in (False, True):
        if with_default_brand:
            Brand.objects.create(code="maison", name="Maison", is_default=True)
        returns = [(fetched(ret), event) for ret, event in cases]
        every = [ret.pk for ret, _event in returns]
        # when: the data of all of them loaded at once
        batch = EmailFacts([ret for ret, _event in returns], attach=every)
        # then: each event's email in each language is what the old single path rendered
        compared = 0
        for ret, return_event in returns:
            for event in (event.value for event in EDITABLE_EVENTS):
                for language in LANGUAGES:
                    with translation.override(language):
                        expected = old_email_context(fetched(ret), return_event)
                        got = batch.context(ret, return_event)
                        alone = email_context(fetched(ret), return_event)
                    sources = template_sources(event, language)
                    old = render_email(event, language, expected, sources)
                    assert render_email(event, language, got, sources) == old
                    assert render_email(event, language, alone, sources) == old
                    compared += 1
                assert batch.attachments(ret, event) == old_attachments(fetched(ret), event)
                assert email_attachments(fetched(ret), event) == old_attachments(
                    fetched(ret), event
                )
        assert compared == len(cases) * len(EDITABLE_EVENTS) * len(LANGUAGES)
        exchange = next(ret for ret, _ in returns if ret.refund_mode == Return.RefundMode.EXCHANGE)
        assert batch.context(exchange)["exchange_item"] == "Linen shirt (XL)"  # the line's


def test_the_label_email_carries_the_live_label_and_no_other():
    # given
    ret = bare_return(language="en", status=ReturnStatus.APPROVED)
    label(ret, "TRK-1", LabelStatus.CANCELLED)
    label(ret, "TRK-2")
    other = bare_return(language="en", status=ReturnStatus.APPROVED)
    # when
    batch = EmailFacts([ret, other], attach=[ret.pk, other.pk])
    # then
    assert batch.attachments(ret, "approved_with_label") == [
        registry.Attachment(f"return-label-{ret.rma_number}.pdf", b"%PDF-TRK-2", "application/pdf")
    ]
    assert batch.attachments(ret, "approved") == []
    assert batch.attachments(other, "label_resent") == []
    assert batch.context(ret)["tracking_number"] == "TRK-2"
    assert batch.context(other)["tracking_number"] == ""


def queued(count: int, *, labels: bool = False) -> list[Notification]:
    """`count` queued emails about returns in varied states, half of them without a brand."""
    brand = Brand.objects.create(code=f"b{count}", name=f"Brand {count}")
    rows = []
    for n in range(count):
        ret = bare_return(language="fr" if n % 2 else "en", email=f"c{count}-{n}@example.com")
        if n % 2:
            ret.order.brand = brand
            ret.order.save(update_fields=["brand"])
        if n % 3 == 0:
            refund(ret, "10.05", RefundStatus.REFUNDED, f"k-{count}-{n}")
        event = "received"
        if labels and n % 2 == 0:
            label(ret, f"TRK-{count}-{n}")
            event = "approved_with_label"
        rows.append(notification_enqueue(ret=ret, event=event))
    return rows


def batch_queries(count: int) -> int:
    Notification.objects.update(status=Notification.Status.SENT)  # the previous batch's rows
    queued(count, labels=True)
    with CaptureQueriesContext(connection) as queries:
        outcome = deliver_batch(limit=count)
    assert (outcome.claimed, outcome.sent) == (count, count)
    return len(queries)


# The claim, the template rows (one query for the batch's two events and languages: the label
# emails are the English ones), the hand-over,
# the recorded outcomes; the provider's: the returns with their money (1), their lines (1), their
# live labels (1), the label emails' PDFs (1), the default brand (1), the shop's settings (1).
BATCH_QUERIES = CLAIM_QUERIES + 1 + 1 + 1 + 6


def test_a_batch_of_50_emails_makes_as_many_queries_as_a_batch_of_5(mailoutbox):
    # given
    ShopSettings.load()
    # when
    small = batch_queries(5)
    large = batch_queries(50)
    # then
    assert small == large == BATCH_QUERIES
    assert len(mailoutbox) == 55
    labelled = [m for m in mailoutbox if m.attachments]
    assert len(labelled) == 3 + 25
    assert all(m.attachments[0][1].startswith(b"%PDF-TRK-") for m in labelled)


def test_a_batch_reads_its_staff_templates_in_one_query_and_uses_each_where_it_belongs(
    mailoutbox,
):
    # given: English and French emails of two events; only the French "received" is edited
    EmailTemplate.objects.create(
        event="received",
        language="fr",
        subject="Reçu : {{ rma_number }}",
        text_body="Édité pour {{ rma_number }}.",
        html_body="<p>Édité</p>",
    )
    rows = queued(6, labels=True)
    # when
    with CaptureQueriesContext(connection) as queries:
        outcome = deliver_batch(limit=6)
    # then
    assert (outcome.claimed, outcome.sent) == (6, 6)
    reads = [q["sql"] for q in queries if "notifications_emailtemplate" in q["sql"]]
    assert len(reads) == 1
    by_id = {str(row.pk): row for row in rows}
    assert len(mailoutbox) == 6
    for message in mailoutbox:
        row = by_id[message.extra_headers["X-Notification-ID"]]
        edited = (row.event, row.language) == ("received", "fr")
        assert (message.body == f"Édité pour {row.ret.rma_number}.\n") is edited
        assert message.subject.startswith("Reçu :") is edited
    assert sorted(row.event for row in rows) == ["approved_with_label"] * 3 + ["received"] * 3


# The claim, the template row, the hand-over, the outcome; the provider's: the return with its
# money, its lines, its live label.
SINGLE_QUERIES = CLAIM_QUERIES + 1 + 1 + 1 + 3


def test_a_single_email_of_a_branded_return_makes_seven_queries_on_postgresql(mailoutbox):
    # given
    brand = Brand.objects.create(code="nord", name="Nord")
    ret = bare_return(language="en")
    ret.order.brand = brand
    ret.order.save(update_fields=["brand"])
    notification = notification_enqueue(ret=ret, event="received")
    # when
    with CaptureQueriesContext(connection) as queries:
        outcome = deliver_notification(notification_id=notification.pk)
    # then
    assert outcome.status == "sent"
    assert len(queries) == SINGLE_QUERIES
    [email] = mailoutbox
    assert "Nord" in email.body


def test_a_batch_whose_data_cannot_be_loaded_sends_each_email_with_its_own(monkeypatch, mailoutbox):
    # given: loading the batch's data fails (a bug, a lost connection)
    rows = queued(3)

    def broken(notifications):
        raise RuntimeError("boom")

    monkeypatch.setattr("notifications.delivery.email_batch", broken)
    # when
    outcome = deliver_batch(limit=3)
    # then: every email went, each with its own data
    assert (outcome.claimed, outcome.sent, outcome.failed) == (3, 3, 0)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(row.recipient for row in rows)
