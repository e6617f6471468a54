"""Photos of the items returned: taken on the summary, re-encoded without their metadata,
stored through the storage API, shown to the customer and to staff, and no one else's."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from returns.models import Return, ReturnPhoto, ReturnReason
from tests.factories import OrderLineFactory, superuser
from tests.fixtures.web import logged_in
from tests.portal.helpers import form_data, nothing_written

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825
MAKE = 0x010F
ORIENTATION = 0x0112


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Photos go to a folder of this test, through default_storage."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def stored_files(media) -> list:
    return sorted(path for path in media.rglob("*") if path.is_file()) if media.exists() else []


def jpeg_with_exif(width=40, height=30) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[MAKE] = "PhoneCam 12"
    exif[ORIENTATION] = 6  # the camera was turned: shown rotated by 90°
    exif.get_ifd(GPS_IFD)[2] = (48.0, 51.0, 24.0)  # latitude: where the customer lives
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Camille Durand")
    out = io.BytesIO()
    Image.new("RGBA", (10, 12), (0, 0, 255, 128)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def upload(name, content, content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def photos_key(order):
    return f"line-{order.lines.order_by('id').first().pk}-photos"


def confirm_with(client, order, photos, reason="wrong-size"):
    """The form filled for the T-shirt, then the summary confirmed with `photos`."""
    client.post(f"/orders/{order.number}/return/", form_data(order, (1, reason)))
    return client.post(f"/orders/{order.number}/return/confirm/", {photos_key(order): photos})


def test_a_photo_is_stored_re_encoded_without_its_metadata(customer_client, order, media):
    # when
    response = confirm_with(customer_client, order, [upload("IMG_0001.jpg", jpeg_with_exif())])
    # then
    ret = Return.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/returns/{ret.rma_number}/"
    photo = ReturnPhoto.objects.get()
    assert photo.line == ret.lines.get()
    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 30, 40)
    assert default_storage.exists(photo.image.name)
    assert photo.image.name.startswith("return-photos/")
    assert photo.image.name.endswith(".jpg")
    assert "IMG_0001" not in photo.image.name
    with default_storage.open(photo.image.name) as stored:
        content = stored.read()
    assert photo.size == len(content)
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == "JPEG"
        assert image.size == (30, 40)  # turned upright as the camera said, before its tag went
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
        assert "comment" not in image.info
        assert image.getpixel((15, 20))[0] > 150  # the same red picture
    assert b"PhoneCam" not in content
    assert b"taken at home" not in content
    assert stored_files(media) == [media / photo.image.name]


def test_a_png_keeps_its_pixels_and_loses_its_text(customer_client, order):
    confirm_with(customer_client, order, [upload("a.png", png_with_text(), "image/png")])
    photo = ReturnPhoto.objects.get()
    assert (photo.content_type, photo.width, photo.height) == ("image/png", 10, 12)
    with default_storage.open(photo.image.name) as stored:
        content = stored.read()
    assert b"Camille" not in content
    with Image.open(io.BytesIO(content)) as image:
        assert (image.format, image.mode, image.getpixel((0, 0))) == (
            "PNG",
            "RGBA",
            (0, 0, 255, 128),
        )


def test_up_to_five_photos_per_item_six_are_refused(customer_client, order, media):
    photos = [upload(f"{n}.jpg", jpeg_with_exif()) for n in range(6)]
    before = nothing_written()
    response = confirm_with(customer_client, order, photos)
    assert response.status_code == 400
    assert "Add at most 5 photos of" in response.context["photo_error"]
    assert nothing_written() == before
    assert ReturnPhoto.objects.count() == 0
    assert stored_files(media) == []


def test_a_reason_asking_for_photos_refuses_a_return_without_one(customer_client, order, media):
    # given
    ReturnReason.objects.filter(code="defective").update(needs_photos=True)
    before = nothing_written()
    # when
    response = confirm_with(customer_client, order, [], reason="defective")
    # then: told on the summary, where the field is required; nothing made
    assert response.status_code == 400
    assert response.context["photo_error"] == (
        "Add at least one photo of “Organic cotton T-shirt M ("
        f"{order.lines.order_by('id').first().variant.sku})”: the reason you chose asks for it."
    )
    html = response.content.decode()
    assert (
        f'name="{photos_key(order)}" accept="image/jpeg,image/png,image/webp" multiple required'
        in html
    )
    assert nothing_written() == before
    assert stored_files(media) == []
    # and with one, it goes through
    confirm_with(customer_client, order, [upload("p.jpg", jpeg_with_exif())], reason="defective")
    assert Return.objects.get().lines.get().photos.count() == 1


def test_a_20_mb_upload_is_refused_and_nothing_is_stored(customer_client, order, media):
    # given: a JPEG header and 20 MB of data
    huge = upload("huge.jpg", b"\xff\xd8\xff\xe0" + b"\0" * (20 * 1024 * 1024))
    before = nothing_written()
    # when
    response = confirm_with(customer_client, order, [huge])
    # then
    assert response.status_code == 400
    assert response.context["photo_error"] == (
        "“huge.jpg” is larger than 10 MB: send a smaller photo."
    )
    assert nothing_written() == before
    assert ReturnPhoto.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("invoice.jpg", b"%PDF-1.7 not a picture at all"),
        ("script.png", b"<script>alert(1)</script>"),
        ("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
    ],
)
def test_a_file_that_is_no_jpeg_png_or_webp_is_refused(
    customer_client, order, media, name, content
):
    before = nothing_written()
    response = confirm_with(customer_client, order, [upload(name, content)])
    assert response.status_code == 400
    assert response.context["photo_error"] == f"“{name}” is not a JPEG, PNG or WebP photo."
    assert nothing_written() == before
    assert stored_files(media) == []


def test_a_webp_photo_is_taken(customer_client, order):
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 128, 0)).save(out, format="WEBP")
    confirm_with(customer_client, order, [upload("leaf.webp", out.getvalue(), "image/webp")])
    assert ReturnPhoto.objects.get().content_type == "image/webp"


# --- who sees them ---------------------------------------------------------------------------


@pytest.fixture
def photo(customer_client, order):
    confirm_with(customer_client, order, [upload("p.jpg", jpeg_with_exif())])
    return ReturnPhoto.objects.get()


def photo_url(photo):
    return f"/returns/{photo.line.ret.rma_number}/photos/{photo.pk}/"


def test_the_customer_sees_their_photo(customer_client, photo):
    page = customer_client.get(f"/returns/{photo.line.ret.rma_number}/")
    response = customer_client.get(photo_url(photo))
    assert photo_url(photo) in page.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=3600"
    with default_storage.open(photo.image.name) as stored:
        assert b"".join(response.streaming_content) == stored.read()


def test_another_customers_photo_url_is_a_404(photo, other_customer):
    response = logged_in(other_customer.user).get(photo_url(photo))
    assert response.status_code == 404
    assert not hasattr(response, "streaming_content")


def test_a_photo_of_another_return_through_ones_own_return_is_a_404(
    customer_client, photo, order, customer
):
    # given: the customer's second order and return, without photos
    second = OrderLineFactory(order__customer=customer, order__email=customer.email).order
    customer_client.post(f"/orders/{second.number}/return/", form_data(second, (1, "wrong-size")))
    customer_client.post(f"/orders/{second.number}/return/confirm/")
    own = Return.objects.get(order=second)
    # when: the photo of the first return asked under the second's number
    response = customer_client.get(f"/returns/{own.rma_number}/photos/{photo.pk}/")
    # then
    assert response.status_code == 404


def test_staff_see_the_photos_on_the_returns_page(photo):
    admin = logged_in(superuser())
    ret = photo.line.ret
    page = admin.get(f"/admin/returns/return/{ret.pk}/change/")
    url = f"/admin/returns/return/{ret.pk}/photos/{photo.pk}/"
    assert f'<img src="{url}"' in page.content.decode()
    response = admin.get(url)
    assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")
    assert admin.get(f"/admin/returns/return/{ret.pk}/photos/{photo.pk + 1}/").status_code == 404
