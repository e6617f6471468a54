"""Photos go through Django's default_storage, whatever it is (S3 by configuration): a storage
class of the test's own set as STORAGES["default"] receives the portal's photo, serves it back
to the customer and loses it again when the return fails; the settings build STORAGES from
MEDIA_STORAGE and MEDIA_STORAGE_OPTIONS."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.storage import InMemoryStorage, default_storage

from returns.models import Return, ReturnPhoto
from tests.portal.test_return_photos import confirm_with, jpeg_with_exif, stored_files, upload

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


class RecordingStorage(InMemoryStorage):
    """A storage that is not the disk, as S3 is not: files in memory, each write and delete
    recorded."""

    saved: list[str] = []
    deleted: list[str] = []

    def _save(self, name, content):
        name = super()._save(name, content)
        type(self).saved.append(name)
        return name

    def delete(self, name):
        type(self).deleted.append(name)
        super().delete(name)


@pytest.fixture
def recording_storage(settings, tmp_path):
    RecordingStorage.saved, RecordingStorage.deleted = [], []
    settings.MEDIA_ROOT = str(tmp_path / "media")  # the disk, which must stay empty
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": f"{__name__}.RecordingStorage", "OPTIONS": {}},
    }
    return tmp_path / "media"


def test_a_portal_photo_is_written_and_served_through_default_storage(
    customer_client, order, recording_storage
):
    # when
    response = confirm_with(customer_client, order, [upload("IMG_1.jpg", jpeg_with_exif())])
    # then: the storage of the settings has it, the disk has nothing
    assert response.status_code == 302
    photo = ReturnPhoto.objects.get()
    assert isinstance(default_storage._wrapped, RecordingStorage)
    assert RecordingStorage.saved == [photo.image.name]
    assert default_storage.exists(photo.image.name)
    assert stored_files(recording_storage) == []
    with default_storage.open(photo.image.name) as stored:
        content = stored.read()
    assert content.startswith(b"\xff\xd8")  # a JPEG
    # and the customer's page serves it from there
    served = customer_client.get(f"/returns/{photo.line.ret.rma_number}/photos/{photo.pk}/")
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == content


def test_a_failed_return_deletes_its_photo_from_that_storage(
    customer_client, order, recording_storage, monkeypatch
):
    # given
    def record_status_event(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("returns.services.creation.record_status_event", record_status_event)
    # when
    with pytest.raises(RuntimeError):
        confirm_with(customer_client, order, [upload("IMG_1.jpg", jpeg_with_exif())])
    # then
    assert len(RecordingStorage.saved) == 1
    assert RecordingStorage.deleted == RecordingStorage.saved
    assert not default_storage.exists(RecordingStorage.saved[0])
    assert (Return.objects.count(), ReturnPhoto.objects.count()) == (0, 0)


def settings_storages(tmp_path, **variables) -> dict:
    """STORAGES as config/settings.py builds it from these environment variables."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MEDIA_STORAGE")}
    env.update(variables, VAR_DIR=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", "import json, config.settings as s; print(json.dumps(s.STORAGES))"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_disk_by_default_and_s3_by_configuration(tmp_path):
    # by default
    assert settings_storages(tmp_path)["default"] == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {},
    }
    # S3 through django-storages, named by the environment (not imported here)
    options = {"bucket_name": "shop-returns-media", "region_name": "eu-west-3"}
    storages = settings_storages(
        tmp_path,
        MEDIA_STORAGE="storages.backends.s3.S3Storage",
        MEDIA_STORAGE_OPTIONS=json.dumps(options),
    )
    assert storages["default"] == {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
    assert storages["staticfiles"]["BACKEND"] == (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
