"""The back-office lists' HTML saved and compared (`python -m bench.lists --save DIR`, then
`--compare DIR1 DIR2`): the overview and the orders list for varied queries, in English and
French, so that a list written another way is proved to show the same page.

The comparison parses each page into its elements (tag, attributes as a set, text with its
whitespace collapsed), CSRF tokens and CSP nonces aside: attribute order and indentation may
differ, nothing a reader or a browser sees may. It also says, per page, how many rows were
compared (their cells' text and links), so a page whose table went missing cannot pass.
"""

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode

SERVER_NAME = "127.0.0.1"
OVERVIEW = "/admin/returns/return/"
ORDERS = "/admin/shop/order/"
WORK_LIST = "refund_state=not_refunded&label_state=no_label&channel__exact=backoffice&o=3.-7"


def _queries(plan: dict, returns, orders) -> dict[str, str]:
    """Name -> path: the bench's overview pages (each filter's first choice, each sort, a
    search, the last page) and more: page 2, two filters with a sort, a free-text search,
    other choices of the status filter; the orders list's."""
    pages = {
        name: path for name, path in plan["pages"]["staff"].items() if name.startswith("overview")
    }
    newest = returns.order_by("-created_at", "-id").select_related("order__customer").first()
    customer = newest.order.customer
    pages.update(
        {
            "overview, page 2": f"{OVERVIEW}?p=2",
            "overview, work list page 2": f"{OVERVIEW}?{WORK_LIST}&p=2",
            "overview, status approved sorted oldest": f"{OVERVIEW}?status__exact=approved&o=-7",
            "overview, status completed": f"{OVERVIEW}?status__exact=completed",
            "overview, refunded before receipt": f"{OVERVIEW}?refund_state=before_receipt",
            "overview, label created": f"{OVERVIEW}?label_state=created",
            "overview, search name": f"{OVERVIEW}?{urlencode({'q': customer.last_name})}",
            "overview, search order": f"{OVERVIEW}?q={newest.order.number}",
            "overview, search nothing": f"{OVERVIEW}?q=R-NOSUCH1",
            "orders list": ORDERS,
            "orders, page 2": f"{ORDERS}?p=2",
            "orders, search number": f"{ORDERS}?q={newest.order.number}",
            "orders, search name": f"{ORDERS}?{urlencode({'q': customer.last_name})}",
            "orders, filter status": f"{ORDERS}?status__exact=delivered",
            "orders, sort paid": f"{ORDERS}?o=5",
            "orders, sort customer then returns": f"{ORDERS}?o=2.-6&p=2",
        }
    )
    brand = orders.exclude(brand=None).values_list("brand_id", flat=True).first()
    if brand is not None:
        pages["orders, filter brand"] = f"{ORDERS}?brand__id__exact={brand}"
    return pages


def save_lists(folder: Path, plan: dict, staff) -> None:
    """Every query's page in English and French, and the bulk "mark refunded" confirmation of
    a page's first three returns (a POST that only asks), under `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    # The pages of one day as of its midnight (UTC): the ages and the date filter's links of a
    # save made later that day are the same.
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with mock.patch("django.utils.timezone.now", return_value=midnight):
        _save_pages(folder, plan, staff)


def _save_pages(folder: Path, plan: dict, staff) -> None:
    from django.test import Client

    from returns.models import Return
    from shop.models import Order

    pages = _queries(plan, Return.objects.all(), Order.objects.all())
    first = list(Return.objects.order_by("-created_at", "-id").values_list("pk", flat=True)[:3])
    for language in ("en", "fr"):
        client = Client(SERVER_NAME=SERVER_NAME, HTTP_ACCEPT_LANGUAGE=language)
        client.force_login(staff)
        for name, path in pages.items():
            _write(folder, f"{language}-{name}", client.get(path, secure=True))
        asked = client.post(
            OVERVIEW,
            {"action": "mark_refunded_selected", "_selected_action": first},
            secure=True,
        )
        _write(folder, f"{language}-overview, bulk mark refunded", asked)


def _write(folder: Path, name: str, answer) -> None:
    body = answer.content.decode() if answer.status_code == 200 else ""
    safe = re.sub(r"[^\w.-]+", "_", name)
    (folder / f"{safe}.html").write_text(f"{answer.status_code}\n{body}")


class _Elements(HTMLParser):
    """A page as a list of ("<tag", attributes), ("</tag",) and ("text", words) items."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items: list[tuple] = []
        self.rows = 0
        self._in_results = 0

    def handle_starttag(self, tag, attrs):
        attributes = frozenset((name, _value(name, value)) for name, value in attrs)
        if ("name", "idempotency_key") in attributes:  # a new key each time the page is made
            attributes = frozenset((n, "KEY" if n == "value" else v) for n, v in attributes)
        self.items.append(("<" + tag, attributes))
        if tag == "table" and ("id", "result_list") in attributes:
            self._in_results = 1
        elif tag == "tbody" and self._in_results:
            self._in_results = 2
        elif tag == "tr" and self._in_results == 2:
            self.rows += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        self.items.append(("</" + tag,))
        if tag == "table":
            self._in_results = 0

    def handle_data(self, data):
        words = " ".join(data.split())
        if words:
            if self.items and self.items[-1][0] == "text":  # split by a character reference
                self.items[-1] = ("text", f"{self.items[-1][1]} {words}")
            else:
                self.items.append(("text", words))


def _value(name: str, value: str | None) -> str | None:
    if name == "nonce":
        return "NONCE"
    if value is not None and name == "value" and len(value) == 64 and value.isalnum():
        return "CSRF"  # the form's token (its field's name is an attribute beside it)
    return " ".join(value.split()) if name == "class" and value else value


def _page(path: Path) -> tuple[str, _Elements]:
    status, _, body = path.read_text().partition("\n")
    body = re.sub(r"<script[^>]*>.*?</script>", "<script></script>", body, flags=re.S)
    parser = _Elements()
    parser.feed(body)
    return status, parser


def compare(before: Path, after: Path) -> int:
    """0 when every page of `before` has its twin in `after` with the same elements."""
    differ = rows = 0
    files = sorted(p.relative_to(before) for p in before.rglob("*.html"))
    for rel in files:
        (status_1, one), (status_2, two) = _page(before / rel), _page(after / rel)
        rows += one.rows
        if status_1 != status_2 or one.items != two.items or one.rows != two.rows:
            differ += 1
            at = next(
                (i for i, (a, b) in enumerate(zip(one.items, two.items, strict=False)) if a != b),
                min(len(one.items), len(two.items)),
            )
            print(f"DIFF {rel} ({status_1} / {status_2}, {one.rows} / {two.rows} rows):")
            print(f"  before: {one.items[max(0, at - 3) : at + 3]}")
            print(f"  after:  {two.items[max(0, at - 3) : at + 3]}")
    print(f"{len(files)} pages compared ({rows} table rows), {differ} differ")
    return 1 if differ or not files else 0
