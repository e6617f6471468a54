"""returns.admin.panels writes the emails and timeline rows as the page's template loops wrote
them: the same HTML, in English and French, with and without the link to each email."""

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from notifications.models import Notification
from returns.admin.panels import emails_html, timeline_html
from returns.models import Return, ReturnEvent
from returns.selectors.backoffice import timeline_for_page

# The loops as admin/returns/return/change_form.html had them.
EMAILS_LOOP = """{% load admin_links %}{% for notification in notifications %}
              <tr><td>{% if may_view %}<a href="{% admin_link 'admin:notifications_notification_change' notification.pk %}">{{ notification.get_event_display|capfirst }}</a>{% else %}{{ notification.get_event_display|capfirst }}{% endif %}
                <br><span class="muted">{{ notification.created_at|date:"SHORT_DATETIME_FORMAT" }}</span></td>
                <td class="num"><span class="badge badge-{{ notification.status }}">{{ notification.get_status_display }}</span></td></tr>
            {% endfor %}"""  # noqa: E501
TIMELINE_LOOP = """{% load i18n %}{% for event in timeline %}
            <li class="kind-{{ event.kind }}">
              <div class="when">{{ event.created_at|date:"SHORT_DATETIME_FORMAT" }} · {% if event.actor %}{{ event.actor.get_full_name }}{% else %}{% translate "automatic" %}{% endif %}{% if not event.visible_to_customer %} · <em>{% translate "internal" %}</em>{% endif %}</div>
              <div class="what">{% if event.kind == "status" %}{% if event.from_status %}<span class="badge badge-{{ event.from_status }}">{{ event.get_from_status_display }}</span> → {% endif %}<span class="badge badge-{{ event.to_status }}">{{ event.get_to_status_display }}</span>{% else %}<strong>{{ event.get_kind_display|capfirst }}</strong>{% endif %}</div>
              {% with text=event.text %}{% if text %}<div class="note">{{ text }}</div>{% endif %}{% endwith %}
            </li>
          {% endfor %}"""  # noqa: E501


def _notifications() -> list[Notification]:
    events = [choice for choice, _label in Notification._meta.get_field("event").choices][:3]
    statuses = [choice for choice, _label in Notification._meta.get_field("status").choices]
    return [
        Notification(
            pk=index + 1,
            event=event,
            status=statuses[index % len(statuses)],
            created_at=datetime(2026, 11, 28, 9, 39 + index, tzinfo=UTC),
        )
        for index, event in enumerate(events)
    ]


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("may_view", [True, False])
def test_the_emails_rows_are_the_loops(language, may_view):
    notifications = _notifications()
    with translation.override(language):
        expected = Template(EMAILS_LOOP).render(
            Context({"notifications": notifications, "may_view": may_view})
        )
        assert emails_html(notifications, may_view=may_view) == expected
    assert ("/admin/notifications/notification/1/change/" in expected) is may_view


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_timeline_rows_are_the_loop(language, order, agent):
    ret = Return.objects.create(order=order, refund_mode="store_credit", delivery_option="label")
    kinds = [choice for choice, _label in ReturnEvent.Kind.choices]
    for index, kind in enumerate(kinds):
        ReturnEvent.objects.create(
            ret=ret,
            kind=kind,
            actor=agent if index % 2 else None,
            from_status="requested" if kind == "status" and index else "",
            to_status="approved" if kind == "status" else "",
            visible_to_customer=bool(index % 3),
            note='A note with <b>"HTML"</b> & more' if index % 2 else "",
        )
    events = timeline_for_page(ret)
    with translation.override(language):
        expected = Template(TIMELINE_LOOP).render(Context({"timeline": events}))
        assert timeline_html(events) == expected
    assert "&lt;b&gt;" in expected
