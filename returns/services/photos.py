"""Photos of a returned item: what the customer sent checked (a JPEG, PNG or WebP image of at
most PHOTO_MAX_BYTES), re-encoded with Pillow so nothing but the pixels is kept (no EXIF: no
camera, date or place), and stored through Django's storage API (default_storage: the disk,
or S3 by configuration). `prepare_photo` reads an upload before anything is written;
`photos_add` stores the prepared photos of a return's lines."""

import io
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.utils.translation import gettext
from PIL import Image, ImageOps, UnidentifiedImageError

from returns import policy
from returns.errors import ReturnError
from returns.models import ReturnLine, ReturnPhoto

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

PHOTO_MAX_BYTES = 10 * 1024 * 1024
# Larger images are refused before being decoded (a small file may unpack to gigabytes).
PHOTO_MAX_PIXELS = 40_000_000
# Pillow's format -> the type stored and served, and the file's extension.
PHOTO_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}


class PhotoError(ReturnError):
    default_code = "photo_refused"


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo re-encoded in memory, ready to store."""

    content: bytes
    content_type: str
    extension: str
    width: int
    height: int


def prepare_photo(upload: "UploadedFile[bytes]") -> PreparedPhoto:
    """The upload (a Django UploadedFile) checked and re-encoded; PhotoError when it is too
    large or not a JPEG, PNG or WebP image. Nothing is stored."""
    name = getattr(upload, "name", "") or gettext("the file")
    if (upload.size or 0) > PHOTO_MAX_BYTES:
        raise PhotoError(
            gettext("“%(name)s” is larger than %(size)d MB: send a smaller photo.")
            % {"name": name, "size": PHOTO_MAX_BYTES // (1024 * 1024)}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind = image.format
            if kind not in PHOTO_FORMATS or image.width * image.height > PHOTO_MAX_PIXELS:
                raise _not_an_image(name)
            image.load()
            return _reencoded(image, kind)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _not_an_image(name) from None


def _not_an_image(name: str) -> PhotoError:
    return PhotoError(
        gettext("“%(name)s” is not a JPEG, PNG or WebP photo.") % {"name": name},
        code="photo_not_an_image",
    )


def _reencoded(image: Image.Image, kind: str) -> PreparedPhoto:
    """A new image made of the pixels only, turned the way the camera said (its orientation
    tag goes with the rest of the metadata: EXIF, XMP, comments)."""
    upright = ImageOps.exif_transpose(image)
    if upright.mode in ("P", "PA", "LA"):
        upright = upright.convert("RGBA")
    if kind == "JPEG" and upright.mode not in ("RGB", "L", "CMYK"):
        upright = upright.convert("RGB")
    pixels = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    out = io.BytesIO()
    pixels.save(out, format=kind, **({} if kind == "PNG" else {"quality": 88}))
    content_type, extension = PHOTO_FORMATS[kind]
    return PreparedPhoto(out.getvalue(), content_type, extension, pixels.width, pixels.height)


def photos_add(line: ReturnLine, photos: list[PreparedPhoto]) -> list[ReturnPhoto]:
    """Store `photos` of `line` (at most MAX_PHOTOS_PER_LINE with those it has). Call inside
    the transaction that writes the line; a file is written under a random name."""
    refusal = policy.photos_refusal(
        False, line.photos.count() + len(photos), item=line.order_line.variant
    )
    if refusal is not None:
        raise PhotoError(refusal.message, code=refusal.code)
    stored = []
    for photo in photos:
        row = ReturnPhoto(
            line=line,
            content_type=photo.content_type,
            size=len(photo.content),
            width=photo.width,
            height=photo.height,
        )
        row.image.save(
            f"{uuid.uuid4().hex}.{photo.extension}", ContentFile(photo.content), save=False
        )
        row.save()
        stored.append(row)
    return stored
