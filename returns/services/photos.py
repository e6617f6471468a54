"""Photos of a returned item: what the customer sent checked (a JPEG, PNG or WebP image of at
most PHOTO_MAX_BYTES), re-encoded with Pillow so nothing but the pixels is kept (no EXIF: no
camera, date or place), and stored through Django's storage API (default_storage: the disk,
or S3 by configuration). `prepare_photo` reads an upload before anything is written;
`photos_add` stores the prepared photos of a return's lines.

A file is written to storage inside the transaction that writes its row, and storage is no
part of the transaction: `photo_files_removed_on_failure` wraps that transaction and deletes
the files it wrote when it fails (transaction.on_commit cannot see a rollback), so a failed
return leaves neither a row nor a file."""

import io
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext

from returns import policy
from returns.errors import ReturnError
from returns.models import ReturnLine, ReturnPhoto

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile
    from PIL import Image

logger = logging.getLogger(__name__)

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
    # Pillow here, not at the top: a web worker that never takes a photo does not load it.
    from PIL import Image, UnidentifiedImageError

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


def _reencoded(image: "Image.Image", kind: str) -> PreparedPhoto:
    """A new image made of the pixels only, turned the way the camera said (its orientation
    tag goes with the rest of the metadata: EXIF, XMP, comments)."""
    from PIL import Image, ImageOps

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
        _written(str(row.image.name))
        row.save()
        stored.append(row)
    return stored


# The names of the files written inside the innermost photo_files_removed_on_failure block.
_WRITTEN: ContextVar[list[str] | None] = ContextVar("photo_files_written", default=None)


@contextmanager
def photo_files_removed_on_failure() -> Iterator[None]:
    """Around the transaction that stores photos (outside its atomic block, so a failure to
    commit is seen too): when it fails, the files written in it are deleted from storage, then
    the error goes on. Nested, an inner block that succeeded leaves its files to the outer one,
    whose transaction may still fail."""
    written: list[str] = []
    token = _WRITTEN.set(written)
    try:
        yield
    except BaseException:
        _delete(written)
        raise
    finally:
        _WRITTEN.reset(token)
    outer = _WRITTEN.get()
    if outer is not None:
        outer.extend(written)


def _written(name: str) -> None:
    written = _WRITTEN.get()
    if written is not None:
        written.append(name)


def _delete(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # the transaction's own error matters more: it goes on
            logger.exception("photo file %s of a failed return left in storage", name)
