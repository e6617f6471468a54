"""A return's page's timeline and emails panels written in Python in one pass, the same HTML
as the loops of admin/returns/return/change_form.html wrote (their whitespace included).

Through the template each event and email cost a dozen node renders (a date filter, a
translation, a display, an escape each): the two loops were a quarter of the page's own
template. Every value is escaped here as the template escaped it (conditional_escape); the choices'
labels come from returns.admin.choice_labels (Django's get_FOO_display rebuilt its table on
each call).
"""

from django.utils.formats import date_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in the stubs
from django.utils.translation import gettext

from returns.admin.choice_labels import choice_label
from returns.templatetags.admin_links import admin_link


def _when(value) -> str:
    """`{{ value|date:"SHORT_DATETIME_FORMAT" }}`: in the current time zone, escaped."""
    return conditional_escape(date_format(template_localtime(value), "SHORT_DATETIME_FORMAT"))


def _e(value) -> str:
    return conditional_escape(value)


def timeline_html(events) -> SafeString:
    """The `<li>` of each event of the timeline panel, oldest first as given."""
    automatic, internal = _e(gettext("automatic")), _e(gettext("internal"))
    return mark_safe("".join(_event(event, automatic, internal) for event in events))


def _event(event, automatic: str, internal: str) -> str:
    actor = _e(event.actor.get_full_name()) if event.actor else automatic
    hidden = "" if event.visible_to_customer else f" · <em>{internal}</em>"
    if event.kind == "status":
        before = (
            f'<span class="badge badge-{_e(event.from_status)}">'
            f"{_e(choice_label(event, 'from_status'))}</span> → "
            if event.from_status
            else ""
        )
        what = (
            f'{before}<span class="badge badge-{_e(event.to_status)}">'
            f"{_e(choice_label(event, 'to_status'))}</span>"
        )
    else:
        what = f"<strong>{_e(capfirst(choice_label(event, 'kind')))}</strong>"
    text = event.text
    note = f'<div class="note">{_e(text)}</div>' if text else ""
    return (
        f'\n            <li class="kind-{_e(event.kind)}">'
        f'\n              <div class="when">{_when(event.created_at)} · {actor}{hidden}</div>'
        f'\n              <div class="what">{what}</div>'
        f"\n              {note}"
        "\n            </li>\n          "
    )


def emails_html(notifications, *, may_view: bool) -> SafeString:
    """The row of each email of the emails panel; linked to its page for who may view it."""
    return mark_safe("".join(_email(notification, may_view) for notification in notifications))


def _email(notification, may_view: bool) -> str:
    event = _e(capfirst(choice_label(notification, "event")))
    if may_view:
        link = _e(admin_link("admin:notifications_notification_change", notification.pk))
        event = f'<a href="{link}">{event}</a>'
    return (
        f"\n              <tr><td>{event}"
        f'\n                <br><span class="muted">{_when(notification.created_at)}</span></td>'
        f'\n                <td class="num"><span class="badge badge-{_e(notification.status)}">'
        f"{_e(choice_label(notification, 'status'))}</span></td></tr>\n            "
    )
