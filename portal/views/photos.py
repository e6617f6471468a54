"""A return's photo in the portal (/returns/<rma>/photos/<id>/), in the visitor's scope: a
photo of anyone else's return, or of no line of this one, is a 404."""

from django.http import Http404
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from portal.views.returns import return_or_404
from portal.views.scope import portal_page
from returns.selectors.photos import photo_of_return, photo_response


@require_GET
@portal_page
def return_photo(request, rma_number, photo_id):
    photo = photo_of_return(return_or_404(request, rma_number), photo_id)
    if photo is None:
        raise Http404(gettext("No such photo."))
    return photo_response(photo)
