"""The messages of a return's timeline, rendered when read, in the reader's language.

A ReturnEvent stores a `code` (a key of MESSAGES) and the `params` of its message, never the
text: an English customer reads English for an event a French agent wrote, and amounts are
written the way the pages write them ("65,09 €" in French, "€65.09" in English). What a person
typed (a staff note, a rejection reason) is the event's `note`, shown as typed after the message.

Params are JSON: an amount is {"amount": "65.09", "currency": "EUR"} (exact strings, never
floats), a name typed in both languages is {"fr": ..., "en": ...}, a choice is its stored value
(its label is read in the reader's language), a frozen quote is Quote.to_json(). Further
messages of the same event (a completion "settled by" someone, the changes of an edit) are
listed under the reserved param "then", each {"code": ..., "params": ...}, one line each.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.utils import formats, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from shop.languages import in_language
from shop.money import quantize
from shop.templatetags.money import money

if TYPE_CHECKING:
    from returns.models import ReturnEvent

# The JSON params of an event's message.
Params = dict[str, Any]

# The event's note as typed, no generated message (also every note written before codes existed
# that matched no message).
TEXT = "text"
# One more line of an event, as it was worded (params["text"]): what has no code of its own.
TEXT_LINE = "text.line"
# The edit of a return: its message is the list of its changes (params["then"]).
RETURN_UPDATED = "return.updated"


@dataclass(frozen=True)
class EventMessage:
    """One message: `text` with named placeholders, and how to show the params that need it."""

    text: Promise | None
    money: tuple[str, ...] = ()
    # param -> "app_label.Model.field" whose choice label is shown
    choices: Mapping[str, str] = field(default_factory=dict)
    names: tuple[str, ...] = ()  # typed by staff in both languages
    quotes: tuple[str, ...] = ()  # a frozen quote, summarised in the reader's language
    numbers: tuple[str, ...] = ()  # the %(name)d placeholders: ints
    dates: tuple[str, ...] = ()  # ISO dates, written the reader's way
    capitalized: tuple[str, ...] = ()  # shown at the start of a sentence
    verbatim: str | None = None  # the param shown as it is, instead of a text


MESSAGES: dict[str, EventMessage] = {
    TEXT: EventMessage(None),
    TEXT_LINE: EventMessage(None, verbatim="text"),
    RETURN_UPDATED: EventMessage(None),
    # editing a return (the lines of RETURN_UPDATED)
    "return.action_changed": EventMessage(
        _("Action: %(before)s → %(after)s"), names=("before", "after")
    ),
    "return.staff_note_changed": EventMessage(_("Staff note: %(note)s")),
    "return.fee_changed": EventMessage(
        _("Return fee: %(before)s → %(after)s"), money=("before", "after")
    ),
    "return.exchange_item_changed": EventMessage(
        _("Item sent in exchange: %(before)s → %(after)s")
    ),
    # rules
    "rule.approved": EventMessage(_("Approved at once by the rule “%(rule)s”.")),
    "return.kept": EventMessage(_("Nothing to send back: the customer keeps the items.")),
    "rule.overridden": EventMessage(_("Override reason: %(reason)s")),
    # what returns/policy.py refuses and staff may override: the override event names them
    "refusal.order_cancelled": EventMessage(
        _("This order was cancelled: there is nothing to return.")
    ),
    "refusal.not_delivered": EventMessage(
        _("This order has not been delivered yet. You can return items once they arrive.")
    ),
    "refusal.returns_off": EventMessage(
        _(
            "Returns cannot be requested online at the moment. Please contact us and we will "
            "help you."
        )
    ),
    "refusal.window_closed": EventMessage(
        _("The return window of %(days)d days after delivery closed on %(date)s."),
        numbers=("days",),
        dates=("date",),
    ),
    "refusal.refund_mode_not_offered": EventMessage(
        _("%(mode)s is not offered for returns."),
        choices={"mode": "returns.Return.refund_mode"},
        capitalized=("mode",),
    ),
    "refusal.in_store_not_offered": EventMessage(_("Returns cannot be dropped in store.")),
    "refusal.blocked_by_rule": EventMessage(
        _("“%(item)s” cannot be returned: %(message)s"), names=("message",)
    ),
    # parcels and inspection
    "expiry.not_sent": EventMessage(
        _("The parcel was not sent within %(days)d days of the approval."), numbers=("days",)
    ),
    "inspection.awaiting": EventMessage(_("Awaiting inspection.")),
    "inspection.done": EventMessage(_("Parcel inspected: %(summary)s.")),
    "tracking.scan": EventMessage(
        _("Carrier scan: %(status)s."), choices={"status": "returns.TrackingEvent.status"}
    ),
    "tracking.scan_details": EventMessage(
        _("Carrier scan: %(status)s — %(details)s."),
        choices={"status": "returns.TrackingEvent.status"},
    ),
    # labels
    "label.created": EventMessage(
        _("Return label created: %(carrier)s, tracking number %(number)s.")
    ),
    "label.resent": EventMessage(_("Return label emailed again (tracking number %(number)s).")),
    "label.cancelled": EventMessage(_("Return label %(number)s cancelled.")),
    "label.kept": EventMessage(
        _("Label %(number)s kept: the carrier already reported the parcel (%(status)s)."),
        choices={"status": "returns.ReturnLabel.parcel_status"},
    ),
    "label.failed": EventMessage(
        _("The carrier (%(carrier)s) could not make the label: %(error)s")
    ),
    "label.cancel_refused": EventMessage(_("The carrier refused to cancel the label: %(error)s")),
    # refunds and exchanges
    "refund.created": EventMessage(
        _("Refund of %(amount)s created (%(mode)s): %(quote)s"),
        money=("amount",),
        choices={"mode": "refunds.Refund.mode"},
        quotes=("quote",),
    ),
    "refund.failed": EventMessage(_("Refund of %(amount)s failed."), money=("amount",)),
    "refund.failed_after_payout": EventMessage(
        _(
            "%(provider)s reports the refund of %(amount)s failed after it had succeeded: "
            "nothing was refunded. Retry it."
        ),
        money=("amount",),
    ),
    "return.reopened": EventMessage(
        _(
            "Reopened: the refund of %(amount)s failed at %(provider)s after it had succeeded. "
            "It will be refunded again."
        ),
        money=("amount",),
    ),
    "refund.cancelled": EventMessage(_("Refund of %(amount)s cancelled."), money=("amount",)),
    "refund.refunded": EventMessage(
        _("%(amount)s refunded to the original payment."), money=("amount",)
    ),
    "refund.credited": EventMessage(
        _("%(amount)s credited to the store credit balance."), money=("amount",)
    ),
    "refund.exchange_refunded": EventMessage(
        _("Exchange difference of %(amount)s refunded."), money=("amount",)
    ),
    "refund.settled_by": EventMessage(_("Settled by %(user)s.")),
    "refund.reversed": EventMessage(_("Refund of %(amount)s reversed."), money=("amount",)),
    "refund.owed_back": EventMessage(
        _("%(amount)s refunded for items that did not arrive: owed back by the customer."),
        money=("amount",),
    ),
    "refund.repaid": EventMessage(
        _("%(amount)s paid back by the customer (reference %(reference)s)."), money=("amount",)
    ),
    "refund.written_off": EventMessage(_("%(amount)s written off."), money=("amount",)),
    "exchange.due": EventMessage(
        _("The exchanged item costs more: %(amount)s to pay."), money=("amount",)
    ),
    "exchange.paid": EventMessage(_("Exchange difference of %(amount)s paid."), money=("amount",)),
    "exchange.even": EventMessage(_("Exchange for the same price: nothing to settle.")),
    "exchange.reserved": EventMessage(
        _("%(count)d × %(item)s held in stock for the exchange."), numbers=("count",)
    ),
    "exchange.replacement": EventMessage(
        _("Replacement order %(order)s made: %(count)d × %(item)s."), numbers=("count",)
    ),
    "exchange.replacement_lines": EventMessage(_("Replacement order %(order)s made: %(items)s.")),
    # emails
    "notification.resent": EventMessage(
        _("Email “%(event)s” to %(recipient)s sent again (it had %(status)s)."),
        choices={
            "event": "notifications.Notification.event",
            "status": "notifications.Notification.status",
        },
    ),
}


def money_param(amount: Decimal | str | int, currency: str) -> Params:
    """An amount as a param: exact strings, rounded to the currency's minor unit."""
    return {"amount": str(quantize(Decimal(amount), currency)), "currency": currency}


def names_param(obj: Any) -> dict[str, str]:
    """A name typed in both languages (TranslatedNameMixin) as a param."""
    return {"fr": obj.name_fr, "en": obj.name_en}


def part(code: str, **params: Any) -> Params:
    """One more message of an event, for its "then" param."""
    return {"code": code, "params": params}


def render_event(event: "ReturnEvent") -> str:
    """The event's text in the active language: its message, the further ones, then the note."""
    params = event.params or {}
    lines = [render_message(event.code, params)]
    lines += [
        render_message(more["code"], more.get("params", {})) for more in params.get("then", [])
    ]
    lines.append(event.note)
    return "\n".join(line for line in lines if line)


def render_message(code: str, params: Mapping[str, Any]) -> str:
    message = MESSAGES[code]
    if message.verbatim is not None:
        return str(params.get(message.verbatim, ""))
    if message.text is None:
        return ""
    values = {name: value for name, value in params.items() if name != "then"}
    for name in message.money:
        values[name] = money(values[name]["amount"], values[name]["currency"])
    for name, choice_field in message.choices.items():
        values[name] = _choice_label(choice_field, values[name])
    for name in message.names:
        values[name] = _name_in_language(values[name])
    for name in message.quotes:
        values[name] = _quote_summary(values[name])
    for name in message.dates:
        values[name] = _date_in_language(values[name])
    for name in message.capitalized:
        values[name] = values[name][:1].upper() + values[name][1:]
    return str(message.text) % values


def _date_in_language(value: str) -> str:
    try:
        return formats.date_format(date.fromisoformat(value))
    except ValueError:
        return value  # a date read back from a note written before events had codes


def _choice_label(choice_field: str, value: str) -> str:
    model_label, field_name = choice_field.rsplit(".", 1)
    model_field = apps.get_model(model_label)._meta.get_field(field_name)
    # A value the choices do not know (a carrier's own status) is shown as it came.
    return str(dict(model_field.flatchoices).get(value, value))


def _name_in_language(value: object) -> str:
    if not isinstance(value, dict):
        return str(value)  # "-": there was none
    return in_language(value.get("fr", ""), value.get("en", ""))


# Summarises a frozen quote (a dict) in the active language. The refunds app, which owns quotes
# and builds on returns, registers it when it loads (refunds/apps.py): returns imports nothing
# of refunds.
_quote_summariser: Callable[[dict[str, Any]], str] | None = None


def register_quote_summariser(summarise: Callable[[dict[str, Any]], str]) -> None:
    global _quote_summariser
    _quote_summariser = summarise


def _quote_summary(value: object) -> str:
    if not isinstance(value, dict) or _quote_summariser is None:
        return str(value)  # a summary written before events had codes
    return _quote_summariser(value)


# --- notes written before events had codes (the data migration 0004) -------------------------

_MONEY = r"-?\d+(?:\.\d+)? [A-Z]{3}"
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
# (code, params, typed text before, rest of the line) of a message found in a line.
_Match = tuple[str, Params, str, str]
_RETURN_UPDATE_LINES = {"return.action_changed", "return.staff_note_changed", "return.fee_changed"}


def parse_legacy_note(note: str) -> tuple[str, Params, str]:
    """(code, params, typed note) of a note written as text in French or English.

    Each line is matched against every message in both languages, whole or followed or preceded
    by typed text; what matches no message stays the typed note. A note that matches nothing is
    (TEXT, {}, note).
    """
    found, typed = [], []
    for line in note.splitlines():
        while line:
            match = _match_line(line)
            if match is None:
                typed.append(line)
                break
            code, params, before, after = match
            found.append(part(code, **params))
            if before:
                typed.append(before)
            line = after
    if not found:
        return TEXT, {}, note
    first, *more = found
    if first["code"] in _RETURN_UPDATE_LINES:
        first, more = part(RETURN_UPDATED), found
    overrides = [found_part for found_part in found if found_part["code"] == "rule.overridden"]
    if overrides:  # an override note: the rules it broke are its further messages
        first, more = overrides[0], [p for p in found if p is not overrides[0]]
    params = dict(first["params"])
    if more:
        params["then"] = more
    return first["code"], params, "\n".join(typed)


def _match_line(line: str) -> _Match | None:
    """(code, params, typed text before, rest of the line) of the message the line holds."""
    found = [
        _matched(code, match)
        for _shape, code, pattern in _legacy_patterns()
        if (match := pattern.match(line)) is not None
    ]
    # A message followed by another ("Carrier scan: delivered — Lyon. Awaiting inspection.")
    # is two messages, not one whose params swallowed the second.
    for candidate in found:
        if candidate[3] and _is_message(candidate[3]):
            return candidate
    return found[0] if found else None


def _is_message(text: str) -> bool:
    return any(
        pattern.match(text) for shape, _code, pattern in _legacy_patterns() if shape == "whole"
    )


def _matched(code: str, match: re.Match[str]) -> _Match:
    values = match.groupdict()
    before, after = values.pop("_before", None) or "", values.pop("_after", None) or ""
    return code, _legacy_params(MESSAGES[code], values), before, after


@cache
def _legacy_patterns() -> list[tuple[str, str, re.Pattern[str]]]:
    """(shape, code, pattern) of every message in both languages: a whole line first, then one
    that typed text follows, then one that typed text precedes; the most specific message first
    in each shape (so that "Carrier scan: %(status)s." does not take "Carrier scan: %(status)s
    — %(details)s.")."""
    bodies = []
    for code, message in MESSAGES.items():
        for language in ("en", "fr") if message.text is not None else ():
            with translation.override(language):
                text = str(message.text)
            literal = len(_PLACEHOLDER.sub("", text))
            bodies.append((literal, code, _placeholder_pattern(text, message)))
    bodies.sort(key=lambda found: -found[0])
    shapes = {
        "whole": r"^{}$",
        "then_text": r"^{} (?P<_after>.+)$",
        "text_then": r"^(?P<_before>.+?) {}$",
    }
    return [
        (shape, code, re.compile(template.format(body)))
        for shape, template in shapes.items()
        for _, code, body in bodies
    ]


def _placeholder_pattern(text: str, message: EventMessage) -> str:
    pieces = _PLACEHOLDER.split(text)
    pattern = []
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            pattern.append(re.escape(piece))
        elif piece in message.money:
            pattern.append(f"(?P<{piece}>{_MONEY})")
        elif piece in message.numbers:
            pattern.append(f"(?P<{piece}>\\d+)")
        else:
            pattern.append(f"(?P<{piece}>.+?)")
    return "".join(pattern)


def _legacy_params(message: EventMessage, values: dict[str, str]) -> Params:
    params: Params = dict(values)
    for name in message.money:
        amount, currency = params[name].split(" ")
        params[name] = {"amount": amount, "currency": currency}
    for name, choice_field in message.choices.items():
        # A label no choice has (a carrier's own status) is kept: it is shown as it came.
        params[name] = _choice_value(choice_field, params[name]) or params[name]
    for name in message.names:
        params[name] = {"fr": params[name], "en": params[name]}
    for name in message.numbers:
        params[name] = int(params[name])
    return params


def _choice_value(choice_field: str, label: str) -> str | None:
    model_label, field_name = choice_field.rsplit(".", 1)
    model_field = apps.get_model(model_label)._meta.get_field(field_name)
    for value, choice_label in model_field.flatchoices:
        for language in ("en", "fr"):
            with translation.override(language):
                if str(choice_label) == label:
                    return str(value)
    return None
