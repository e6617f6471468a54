"""Pagination for the big back-office lists."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedCountPaginator(Paginator):
    """A paginator that counts at most CAP rows: an exact COUNT(*) of a million returns costs
    more than the page itself, and nobody pages that far (they filter). Past the cap the list
    says "more than 10000" (templates/admin/includes/capped_pagination.html)."""

    CAP = 10_000

    @cached_property
    def count(self):
        # COUNT(*) over the first CAP + 1 ids only; the columns' subqueries are not computed.
        return self.object_list.order_by().values("pk")[: self.CAP + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > self.CAP
