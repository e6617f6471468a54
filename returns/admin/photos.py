"""A return's photo for staff (admin:returns_return_photo), with the permission to view
returns; a photo of another return is a 404."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from returns.models import Return
from returns.selectors.photos import photo_of_return, photo_response


class ReturnPhotosMixin:
    def photo_urls(self):
        return [
            path(
                "<int:return_id>/photos/<int:photo_id>/",
                self.admin_site.admin_view(require_GET(self.photo_view)),
                name="returns_return_photo",
            )
        ]

    def photo_view(self, request, return_id, photo_id):
        ret = Return.objects.filter(pk=return_id).first()
        if ret is None:
            raise Http404(gettext("No such return."))
        if not self.has_view_permission(request, ret):
            raise PermissionDenied
        photo = photo_of_return(ret, photo_id)
        if photo is None:
            raise Http404(gettext("No such photo."))
        return photo_response(photo)
