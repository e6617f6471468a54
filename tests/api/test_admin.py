"""API keys in the back-office: a shop admin creates one and sees its secret once."""

import pytest
from django.contrib.messages import get_messages

from api.models import ApiKey
from tests.fixtures.api import ApiClient
from tests.fixtures.backoffice import with_role

pytestmark = pytest.mark.django_db


def test_a_shop_admin_creates_a_key_shown_once_with_its_scopes(client):
    # given
    client.force_login(with_role("shop_admin", full_name="Sam Admin"))
    # when
    response = client.post(
        "/admin/api/apikey/add/",
        {"name": "Headless shop", "scopes": ["returns:read", "returns:write"]},
    )
    # then
    assert response.status_code == 302
    key = ApiKey.objects.get()
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    secret = next(word for text in shown for word in text.split() if word.startswith("rk_"))
    assert key.scopes == ["returns:read", "returns:write"]
    assert secret.startswith(f"rk_{key.prefix}_")
    assert key.service_user.has_perm("returns.add_return")
    assert not key.service_user.has_perm("returns.approve_return")
    assert ApiClient(secret).get("/api/v1/reasons").status_code == 200
    # and once read, the key's page never shows the secret again
    client.get(response["Location"])
    page = client.get(f"/admin/api/apikey/{key.pk}/change/")
    assert secret.encode() not in page.content
