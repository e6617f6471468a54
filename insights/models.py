"""The analytics page's daily figures: what `insights.reports` counts, summed per day and per the
dimensions the page filters and groups by, so that the page reads a few hundred rows whatever the
number of returns (insights/daily.py writes and reads them).

Every row belongs to a day: the local day a return was *requested* (its `created_at`), or for the
units sold the local day the order was placed, the days `insights.reports` filters on; the
figures of a range of days are the sums of its days' rows. `country` is the order's shipping
country, or EVERY_COUNTRY on the rows that sum every country's (what the page reads without a
country: a quarter of the rows with four countries). Products and reasons are kept by id (not
foreign keys: a figure is a number about the past, it neither holds nor follows the rows it
counts).

Money figures are the sums of refunds marked refunded, in the shop's amounts (Decimal, cents), as
`insights.reports` sums them; `refunded_returns` and the days to refund count each return once
per group (`dimension` and `key`), as the report does, so that the groups add up exactly.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from shop.models import MONEY


class Dimension(models.TextChoices):
    TOTAL = "total", _("total")
    PRODUCT = "product", _("product")
    REASON = "reason", _("reason")


# The country of the rows that sum every country's rows of their day (or week, month) and group:
# no ISO code, and the page's country field (two letters) cannot ask for it.
EVERY_COUNTRY = "*"


class Span(models.TextChoices):
    DAY = "day", _("day")
    WEEK = "week", _("week")
    MONTH = "month", _("month")


class _Daily(models.Model):
    # A day's row, a week's (day: its Monday) or a month's (day: its first), the sum of its
    # days' rows, rebuilt with them: a range reads the months it holds whole, at its edges the
    # weeks they hold whole, and the days left around those (at most six each side). The
    # unique keys start with (span, day): each part of a range is one tight index range.
    day = models.DateField(_("day"))
    span = models.CharField(_("span"), max_length=5, choices=Span.choices, default=Span.DAY)
    country = models.CharField(_("country"), max_length=2)

    class Meta:
        abstract = True


class DailyReturns(_Daily):
    """A day's live returns in a group: the whole day (dimension total, key 0), a product or a
    reason (key: its id)."""

    dimension = models.CharField(_("dimension"), max_length=10, choices=Dimension.choices)
    key = models.BigIntegerField(_("key"), default=0)
    returned_units = models.PositiveIntegerField(_("returned units"), default=0)
    refunded = models.DecimalField(_("refunded in money"), **MONEY, default=0)
    store_credit = models.DecimalField(_("store credit"), **MONEY, default=0)
    refunded_returns = models.PositiveIntegerField(_("returns refunded"), default=0)

    class Meta:
        verbose_name = _("daily returns figure")
        verbose_name_plural = _("daily returns figures")
        constraints = [
            models.UniqueConstraint(
                fields=["span", "day", "country", "dimension", "key"], name="daily_returns_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.country} {self.dimension} {self.key}: {self.returned_units}"


class DailyDaysToRefund(_Daily):
    """How many of a day's live returns in a group were first refunded after `days` whole days:
    a histogram, from which the average and the 90th percentile of any range are exact."""

    dimension = models.CharField(_("dimension"), max_length=10, choices=Dimension.choices)
    key = models.BigIntegerField(_("key"), default=0)
    days = models.IntegerField(_("days"))
    returns = models.PositiveIntegerField(_("returns"))

    class Meta:
        verbose_name = _("daily days to refund")
        verbose_name_plural = _("daily days to refund")
        constraints = [
            models.UniqueConstraint(
                fields=["span", "day", "country", "dimension", "key", "days"],
                name="daily_days_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.country} {self.dimension} {self.key}: {self.days}d"


class DailyProductReason(_Daily):
    """A day's returned units of a product for a reason (a product's top reasons)."""

    product = models.BigIntegerField(_("product"))
    reason = models.BigIntegerField(_("reason"))
    units = models.PositiveIntegerField(_("units"))

    class Meta:
        verbose_name = _("daily units by product and reason")
        verbose_name_plural = _("daily units by product and reason")
        constraints = [
            models.UniqueConstraint(
                fields=["span", "day", "country", "product", "reason"],
                name="daily_product_reason_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.country} {self.product}/{self.reason}: {self.units}"


class DailySold(_Daily):
    """The units of a product on the orders placed that day."""

    product = models.BigIntegerField(_("product"))
    units = models.PositiveIntegerField(_("units"))

    class Meta:
        verbose_name = _("daily units sold")
        verbose_name_plural = _("daily units sold")
        constraints = [
            models.UniqueConstraint(
                fields=["span", "day", "country", "product"], name="daily_sold_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.country} {self.product}: {self.units}"


class DailyRefundWeek(_Daily):
    """The refunds marked refunded, in the week starting `week` (a Monday), on the live returns
    requested that day."""

    week = models.DateField(_("week of"))
    refunded = models.DecimalField(_("refunded in money"), **MONEY, default=0)
    store_credit = models.DecimalField(_("store credit"), **MONEY, default=0)

    class Meta:
        verbose_name = _("daily refunds by week")
        verbose_name_plural = _("daily refunds by week")
        constraints = [
            models.UniqueConstraint(
                fields=["span", "day", "country", "week"], name="daily_refund_week_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.country} {self.week}: {self.refunded} + {self.store_credit}"


class DailyRefundMode(_Daily):
    """The day's live returns by the refund mode asked (money back, store credit, exchange)."""

    mode = models.CharField(_("refund mode"), max_length=20)
    returns = models.PositiveIntegerField(_("returns"))

    class Meta:
        verbose_name = _("daily returns by refund mode")
        verbose_name_plural = _("daily returns by refund mode")
        constraints = [
            models.UniqueConstraint(
                fields=["span", "day", "country", "mode"], name="daily_refund_mode_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.country} {self.mode}: {self.returns}"


DAILY_MODELS: tuple[type[_Daily], ...] = (
    DailyReturns,
    DailyDaysToRefund,
    DailyProductReason,
    DailySold,
    DailyRefundWeek,
    DailyRefundMode,
)
