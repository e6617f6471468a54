"""The label buttons of a return's back-office page: download, email again, cancel, make a new
one. Mixed into ReturnAdmin (returns/admin/returns.py); each button posts to one view calling one
service of returns/services/labels.py, which checks the permission again."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from returns.errors import ReturnError
from returns.models import Return
from returns.services import labels as label_services


class ReturnLabelActionsMixin:
    """URLs admin:returns_return_label_resend / _label_cancel / _label_create."""

    def label_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/label/resend/",
                view(require_POST(self.label_resend_view)),
                name="returns_return_label_resend",
            ),
            path(
                "<path:object_id>/label/cancel/",
                view(require_POST(self.label_cancel_view)),
                name="returns_return_label_cancel",
            ),
            path(
                "<path:object_id>/label/create/",
                view(require_POST(self.label_create_view)),
                name="returns_return_label_create",
            ),
        ]

    def _label_action(self, request, object_id, service, done: str, **kwargs):
        ret = get_object_or_404(Return, pk=object_id)
        # The status the page showed: a return changed meanwhile is refused, not acted on.
        seen_status = request.POST.get("seen_status") or None
        try:
            label = service(actor=request.user, ret=ret, expected_status=seen_status, **kwargs)
        except ReturnError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done % {"number": label.tracking_number})
        # Sent from a label's page: back to it (a label of this return only).
        back = request.POST.get("back_to_label", "")
        if back.isdigit() and ret.labels.filter(pk=int(back)).exists():
            return redirect("admin:returns_returnlabel_change", int(back))
        return redirect("admin:returns_return_change", ret.pk)

    def label_resend_view(self, request, object_id):
        return self._label_action(
            request,
            object_id,
            label_services.label_resend,
            gettext("Label %(number)s emailed to the customer again."),
        )

    def label_cancel_view(self, request, object_id):
        return self._label_action(
            request,
            object_id,
            label_services.label_cancel,
            gettext("Label %(number)s cancelled."),
            note=request.POST.get("note", ""),
        )

    def label_create_view(self, request, object_id):
        return self._label_action(
            request,
            object_id,
            label_services.label_create,
            gettext("New label %(number)s made and emailed to the customer."),
        )
