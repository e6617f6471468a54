"""Reads of a return's photos: one of them, asked by the pages that serve it (the portal's in
the visitor's scope, the back-office's with the permission to view returns)."""

from django.http import FileResponse

from returns.models import Return, ReturnPhoto


def photo_of_return(ret: Return, photo_id: int) -> ReturnPhoto | None:
    """The photo `photo_id` of one of `ret`'s lines; None for any other (another return's)."""
    return ReturnPhoto.objects.filter(line__ret=ret, pk=photo_id).first()


def photo_response(photo: ReturnPhoto) -> FileResponse:
    """The stored image, read through the storage, never cached by a shared cache."""
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
