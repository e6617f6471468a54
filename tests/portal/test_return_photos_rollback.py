"""A return with photos that fails after its files were stored leaves neither a row nor a file:
storage is no part of the transaction, so the files written in it are deleted when it fails
(returns.services.photos.photo_files_removed_on_failure around the creation's atomic block)."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from returns.models import Return, ReturnLine, ReturnPhoto
from returns.services import ReturnLineInput, return_request
from returns.services.photos import photo_files_removed_on_failure, prepare_photo
from tests.portal.test_return_photos import (
    confirm_with,
    jpeg_with_exif,
    png_with_text,
    stored_files,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


class Broken(RuntimeError):
    pass


@pytest.fixture
def fails_after_the_upload(monkeypatch):
    """The return's status event, written after its lines and photos, fails."""

    def record_status_event(*args, **kwargs):
        raise Broken("the database went away")

    monkeypatch.setattr("returns.services.creation.record_status_event", record_status_event)


def request_with_photos(customer_user, order, *contents):
    line = order.lines.order_by("id").first()
    photos = tuple(prepare_photo(SimpleUploadedFile(f"{i}.png", c)) for i, c in enumerate(contents))
    return return_request(
        actor=customer_user,
        order=order,
        idempotency_key=uuid.uuid4().hex,
        lines=[
            ReturnLineInput(
                order_line_id=line.pk, quantity=1, reason_code="wrong-size", photos=photos
            )
        ],
        refund_mode=Return.RefundMode.MONEY_BACK,
        delivery_option=Return.DeliveryOption.LABEL,
    )


def test_a_portal_return_failing_after_its_photos_were_stored_leaves_no_file(
    customer_client, order, media, fails_after_the_upload
):
    # when
    with pytest.raises(Broken):
        confirm_with(
            customer_client,
            order,
            [upload("a.jpg", jpeg_with_exif()), upload("b.png", png_with_text(), "image/png")],
        )
    # then: no row, no file
    assert (Return.objects.count(), ReturnLine.objects.count(), ReturnPhoto.objects.count()) == (
        0,
        0,
        0,
    )
    assert stored_files(media) == []


def test_the_files_were_written_before_the_failure(
    customer_user, order, media, fails_after_the_upload, monkeypatch
):
    # given: a look at the storage when the failure comes
    seen = []

    def record_status_event(*args, **kwargs):
        seen.extend(stored_files(media))
        raise Broken("the database went away")

    monkeypatch.setattr("returns.services.creation.record_status_event", record_status_event)
    # when
    with pytest.raises(Broken):
        request_with_photos(customer_user, order, png_with_text(), png_with_text())
    # then: two files were there, none is left
    assert len(seen) == 2
    assert stored_files(media) == []
    assert ReturnPhoto.objects.count() == 0


def test_a_return_that_commits_keeps_its_files(customer_user, order, media):
    # when
    ret = request_with_photos(customer_user, order, png_with_text())
    # then
    [photo] = ReturnPhoto.objects.filter(line__ret=ret)
    assert [path.name for path in stored_files(media)] == [photo.image.name.rsplit("/", 1)[1]]


def test_an_outer_block_that_fails_after_the_return_succeeded_removes_its_files(
    customer_user, order, media
):
    # given: the return is made inside a larger change that then fails
    def larger_change():
        with photo_files_removed_on_failure(), transaction.atomic():
            request_with_photos(customer_user, order, png_with_text())
            assert len(stored_files(media)) == 1
            raise Broken("a later step of the same change")

    # when
    with pytest.raises(Broken):
        larger_change()
    # then
    assert ReturnPhoto.objects.count() == 0
    assert stored_files(media) == []
