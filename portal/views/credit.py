"""My account > Store credit: the balance, the codes that hold it, and the ledger's movements."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from refunds import credit
from refunds.selectors import store_credit_movements

MOVEMENTS_SHOWN = 50


@login_required
def store_credit(request):
    customer = getattr(request.user, "customer", None)
    context = {"customer": customer, "balances": {}, "codes": [], "movements": []}
    if customer is not None:
        context.update(
            balances=credit.credit_summary(customer),
            codes=list(customer.store_credit_codes.order_by("-created_at", "-id")),
            movements=list(store_credit_movements(customer)[:MOVEMENTS_SHOWN]),
        )
    return render(request, "portal/store_credit.html", context)
