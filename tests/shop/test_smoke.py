import pytest

pytestmark = pytest.mark.django_db


def test_home_page_renders_in_both_languages(client):
    # given / when
    french = client.get("/", HTTP_ACCEPT_LANGUAGE="fr")
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    # then
    assert french.status_code == 200
    assert english.status_code == 200
    assert 'lang="fr"' in french.content.decode()
    assert 'lang="en"' in english.content.decode()


def test_admin_login_page_is_served(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
