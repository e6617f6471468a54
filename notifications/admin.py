"""Back-office pages: the notification emails (templates with a preview on a real return), the
list of all notifications with "send again", and an inline for the return's page."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from notifications import registry
from notifications.emails import PARTS, default_template_source, render_email, template_sources
from notifications.events import EDITABLE_EVENTS, NotificationEvent
from notifications.models import (
    EmailTemplate,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
)
from notifications.selectors import (
    email_template_overview,
    notification_list,
    pretty_json,
    preview_return,
    webhook_delivery_list,
)
from notifications.services import NotificationError, notification_resend
from notifications.webhook_outbox import WebhookError, endpoint_enable, webhook_resend

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]

VARIABLES_HELP = _(
    "Django template language. Variables: {{ shop_name }}, {{ rma_number }}, "
    "{{ order_number }}, {{ customer_first_name }}, {{ items }} (each with product_name, option, "
    "quantity), {{ exchange_item }} (the item wanted in exchange, for an exchange), "
    "{{ status_label }}, {{ refund_amount }} and {{ currency }} (when refunded or "
    "credited), {{ rejection_reason }}, {{ note }}, {{ return_url }}, {{ tracking_number }} "
    "(of the return label, when there is one), {{ policy_url }} (the return policy page)."
)


class EmailTemplateForm(forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = ["event", "language", "subject", "text_body", "html_body"]
        widgets = {
            "subject": forms.TextInput(attrs={"size": 90}),
            "text_body": forms.Textarea(attrs={"rows": 14, "cols": 100}),
            "html_body": forms.Textarea(attrs={"rows": 18, "cols": 100}),
        }
        help_texts = {"text_body": VARIABLES_HELP, "html_body": VARIABLES_HELP}


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    """The "Notification emails" settings page: every event × language, default or edited."""

    form = EmailTemplateForm
    list_display = ["event", "language", "subject", "updated_at", "updated_by"]
    list_select_related = ["updated_by"]
    change_list_template = "admin/notifications/emailtemplate/change_list.html"
    change_form_template = "admin/notifications/emailtemplate/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        # An edited template stays attached to its event; delete it to go back to the default.
        return ["event", "language"] if obj is not None else []

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path(
                "preview/<slug:event>/<slug:language>/",
                preview,
                name="notifications_emailtemplate_preview",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "template_rows": email_template_overview(),
            "languages": settings.LANGUAGES,
        }
        return super().changelist_view(request, extra_context)

    def get_changeform_initial_data(self, request):
        # "Customise" links open the add form on ?event=…&language=…, filled with the default.
        initial = super().get_changeform_initial_data(request)
        event, language = initial.get("event"), initial.get("language")
        if event in EDITABLE_EVENTS and language in LANGUAGE_CODES:
            for part in PARTS:
                initial.setdefault(part, default_template_source(event, language, part))
        return initial

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def _redirect_to_preview(self, request, obj):
        if "_preview" not in request.POST:
            return None
        url = reverse("admin:notifications_emailtemplate_preview", args=[obj.event, obj.language])
        return HttpResponseRedirect(url)

    def response_add(self, request, obj, post_url_continue=None):
        return self._redirect_to_preview(request, obj) or super().response_add(
            request, obj, post_url_continue
        )

    def response_change(self, request, obj):
        return self._redirect_to_preview(request, obj) or super().response_change(request, obj)

    def preview_view(self, request, event, language):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if event not in EDITABLE_EVENTS or language not in LANGUAGE_CODES:
            raise Http404
        reference = request.GET.get("return", "")
        ret = preview_return(reference)
        row = EmailTemplate.objects.filter(event=event, language=language).first()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Preview: %(event)s (%(language)s)")
            % {"event": NotificationEvent(event).label, "language": language},
            "event": event,
            "language": language,
            "row": row,
            "ret": ret,
            "reference": reference,
        }
        if ret is not None:
            context.update(self._render_preview(ret, event, language))
        return TemplateResponse(request, "admin/notifications/emailtemplate/preview.html", context)

    @staticmethod
    def _render_preview(ret, event, language) -> dict:
        with translation.override(language):
            email_data = registry.provider().context(ret)
        try:
            return {
                "rendered": render_email(
                    event, language, email_data, template_sources(event, language)
                )
            }
        except (TemplateSyntaxError, TemplateDoesNotExist) as exc:
            return {"render_error": str(exc)}


class NotificationInline(admin.TabularInline):
    """The return's emails, for the Return admin page (returns/admin/returns.py adds it)."""

    model = Notification
    fk_name = "ret"
    extra = 0
    can_delete = False
    show_change_link = True
    # Shown, never edited (a tuple: one sequence fits the types of both attributes).
    fields = readonly_fields = (
        "event",
        "recipient",
        "language",
        "status",
        "attempts",
        "last_error",
        "sent_at",
        "created_at",
    )
    ordering = ["created_at", "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Every email sent or to send. Read-only: the outbox is changed by the worker, and by a
    person only through "send again"."""

    list_display = [
        "created_at",
        "ret",
        "user",
        "event",
        "recipient",
        "language",
        "status",
        "attempts",
        "next_attempt_at",
        "short_error",
    ]
    list_filter = ["status", "event", "language"]
    search_fields = ["ret__rma_number", "recipient", "provider_message_id"]
    list_select_related = ["ret", "user"]
    show_full_result_count = False
    actions = ["resend_selected"]
    change_form_template = "admin/notifications/notification/change_form.html"
    # Shown, never edited (a tuple: one sequence fits the types of both attributes).
    fields = readonly_fields = (
        "ret",
        "user",
        "event",
        "return_event",
        "recipient",
        "language",
        "status",
        "attempts",
        "max_attempts",
        "next_attempt_at",
        "claimed_at",
        "handed_over_at",
        "sent_at",
        "message_id",
        "provider_message_id",
        "last_error",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request):
        return notification_list()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm("notifications.resend_notification")

    @admin.display(description=_("Message-ID"))
    def message_id(self, obj):
        return obj.message_id

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return Truncator(obj.last_error).chars(80)

    def get_urls(self):
        resend = self.admin_site.admin_view(require_POST(self.resend_view))
        return [
            path("<int:notification_id>/resend/", resend, name="notifications_notification_resend"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, **kwargs):
        context["has_resend_permission"] = self.has_resend_permission(request)
        return super().render_change_form(request, context, *args, **kwargs)

    def resend_view(self, request, notification_id):
        notification = get_object_or_404(Notification, pk=notification_id)
        try:
            notification_resend(actor=request.user, notification=notification)
        except NotificationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, gettext("The email will be sent again."), messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:notifications_notification_change", args=[notification_id])
        )

    @admin.action(description=_("Send the selected failed emails again"), permissions=["resend"])
    def resend_selected(self, request, queryset):
        sent_again = skipped = 0
        for notification in queryset:
            try:
                notification_resend(actor=request.user, notification=notification)
            except NotificationError:
                skipped += 1
            else:
                sent_again += 1
        if sent_again:
            self.message_user(
                request,
                ngettext(
                    "%(count)d email will be sent again.",
                    "%(count)d emails will be sent again.",
                    sent_again,
                )
                % {"count": sent_again},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d email was skipped: only failed or bounced emails can be sent again.",
                    "%(count)d emails were skipped: only failed or bounced emails can be sent "
                    "again.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


# --- Outbound webhooks --------------------------------------------------------------------


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=WebhookEventType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The event types posted to this URL."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """The URLs integrations receive events at (shop admins only: shop/roles.py). The secret is
    made when the endpoint is; the receiver checks each request's signature with it."""

    form = WebhookEndpointForm
    list_display = ["url", "description", "active", "consecutive_failures", "disabled_at"]
    list_filter = ["active"]
    readonly_fields = ["secret", "consecutive_failures", "disabled_at", "created_at"]

    def get_fields(self, request, obj=None):
        fields = ["url", "description", "events", "active"]
        return [*fields, *self.readonly_fields] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "active" in form.changed_data and obj.active:
            # Enabled again by a person: its count of failures starts over.
            endpoint_enable(endpoint=obj)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Every event posted or to post, with its payload and the receiver's answer. Read-only: the
    worker changes it, a person only through "send again"."""

    list_display = [
        "created_at",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "response_status",
    ]
    list_filter = ["status", "event_type", "endpoint"]
    list_select_related = ["endpoint"]
    show_full_result_count = False
    change_form_template = "admin/notifications/webhookdelivery/change_form.html"
    fields = readonly_fields = (
        "endpoint",
        "event_type",
        "webhook_id",
        "status",
        "attempts",
        "max_attempts",
        "next_attempt_at",
        "claimed_at",
        "delivered_at",
        "pretty_payload",
        "response_status",
        "response_body",
        "duration_ms",
        "last_error",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request):
        return webhook_delivery_list()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm("notifications.resend_webhookdelivery")

    @admin.display(description=_("webhook-id"))
    def webhook_id(self, obj):
        return obj.webhook_id

    @admin.display(description=_("payload"))
    def pretty_payload(self, obj):
        return format_html("<pre>{}</pre>", pretty_json(obj.body))

    def get_urls(self):
        resend = self.admin_site.admin_view(self.resend_view)
        return [
            path("<int:delivery_id>/resend/", resend, name="notifications_webhookdelivery_resend"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, **kwargs):
        context["has_resend_permission"] = self.has_resend_permission(request)
        return super().render_change_form(request, context, *args, **kwargs)

    def resend_view(self, request, delivery_id):
        """GET: the confirmation page; POST: send the delivery again."""
        if not self.has_resend_permission(request):
            raise PermissionDenied
        delivery = get_object_or_404(
            WebhookDelivery.objects.select_related("endpoint"), pk=delivery_id
        )
        change_url = reverse("admin:notifications_webhookdelivery_change", args=[delivery_id])
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": gettext("Send this webhook again?"),
                "delivery": delivery,
                "change_url": change_url,
            }
            return TemplateResponse(
                request, "admin/notifications/webhookdelivery/resend_confirm.html", context
            )
        try:
            webhook_resend(actor=request.user, delivery=delivery)
        except WebhookError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, gettext("The webhook will be sent again."), messages.SUCCESS)
        return HttpResponseRedirect(change_url)
