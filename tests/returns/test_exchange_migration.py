"""returns 0011: the variant a return wanted in exchange moves to its lines of that product,
and a held reservation to the line naming it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from returns.models import ExchangeReservation, ReturnLine
from tests.factories import ReturnReasonFactory, VariantFactory, make_order

BEFORE = [("returns", "0010_exchange_photos")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_each_line_of_the_product_the_returns_variant():
    # given: before 0011, an exchange of a T-shirt and shoes for the T-shirt's L, 2 held
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    order = make_order([(1, "20.00"), (1, "35.00")])
    tshirt, shoes = order.lines.order_by("id")
    larger = VariantFactory(product=tshirt.variant.product, option="L")
    reason = ReturnReasonFactory(code="wrong-size")
    ret = old.get_model("returns", "Return").objects.create(
        order_id=order.pk,
        channel="backoffice",
        status="approved",
        refund_mode="exchange",
        exchange_variant_id=larger.pk,
    )
    line_model = old.get_model("returns", "ReturnLine")
    tshirt_line = line_model.objects.create(
        ret=ret, order_line_id=tshirt.pk, quantity=1, reason_id=reason.pk
    )
    shoes_line = line_model.objects.create(
        ret=ret, order_line_id=shoes.pk, quantity=1, reason_id=reason.pk
    )
    old.get_model("returns", "ExchangeReservation").objects.create(
        ret=ret, variant_id=larger.pk, quantity=2, status="held"
    )
    # when
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    # then: the T-shirt's line wants the L, the shoes' nothing; the hold is the T-shirt line's
    wanted = dict(ReturnLine.objects.values_list("pk", "exchange_variant_id"))
    assert wanted == {tshirt_line.pk: larger.pk, shoes_line.pk: None}
    held = ExchangeReservation.objects.get()
    assert (held.line_id, held.ret_id, held.quantity, held.status) == (
        tshirt_line.pk,
        ret.pk,
        2,
        "held",
    )
