"""Server-side SVG charts: geometry only, computed from figures already aggregated (a few dozen
bars at most); templates/admin/insights/ draws them, each with its title and a table beside."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WIDTH = 400  # the viewBox's width: the SVG scales to its box (390 px phones included)
BAR = 18
GAP = 28  # a horizontal bar's row: its label above, the bar below


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    x: float
    y: float
    width: float
    height: float
    label_y: float = 0.0
    # A second, stacked part (store credit on top of money refunds), 0 when none.
    top_height: float = 0.0

    @property
    def top_y(self) -> float:
        return self.y - self.top_height

    @property
    def value_x(self) -> float:
        """Where a horizontal bar's value is written: just past its end."""
        return self.x + self.width + 6

    @property
    def value_y(self) -> float:
        return self.y + self.height - 5


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int


def horizontal(items: list[tuple[str, Decimal | int | None, str]]) -> Chart:
    """Bars of (label, value, value as text), longest for the largest value."""
    peak = max([float(v or 0) for _, v, _ in items] + [0]) or 1.0
    usable = WIDTH - 80  # the value's text sits at the right of the longest bar
    bars = []
    for i, (label, value, text) in enumerate(items):
        top = i * (BAR + GAP)
        bars.append(
            Bar(
                label=label,
                value_text=text,
                x=0,
                y=top + 21,
                width=max(2.0, usable * float(value or 0) / peak),
                height=BAR,
                label_y=top + 15,
            )
        )
    return Chart(bars=bars, width=WIDTH, height=max(1, len(items)) * (BAR + GAP))


def vertical(items: list[tuple[str, Decimal, Decimal, str]], height: int = 160) -> Chart:
    """Stacked columns of (label, lower part, upper part, total as text)."""
    peak = max([float(low + high) for _, low, high, _ in items] + [0]) or 1.0
    slot = WIDTH / max(1, len(items))
    column = min(slot * 0.7, 40.0)  # a few weeks stay columns, not a wall
    bars = []
    for i, (label, low, high, text) in enumerate(items):
        low_h = height * float(low) / peak
        high_h = height * float(high) / peak
        bars.append(
            Bar(
                label=label,
                value_text=text,
                x=i * slot + (slot - column) / 2,
                y=height - low_h,
                width=column,
                height=low_h,
                top_height=high_h,
                label_y=height + 14,
            )
        )
    return Chart(bars=bars, width=WIDTH, height=height + 20)
