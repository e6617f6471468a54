"""A customer of brand B sees B everywhere: its logo, colours and policy in the portal, its
name, logo, colour, sender and policy link in the emails, its return address on the label;
staff filter the overview by brand."""

from io import BytesIO

import pytest
from pypdf import PdfReader

from notifications.emails import build_message
from notifications.services import notification_enqueue
from returns.notify import email_context
from tests.fixtures.brands import make_brand, png_bytes
from tests.fixtures.web import english_client
from tests.returns.admin.helpers import make_return
from tests.returns.labels.helpers import approved_with_label, label_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def brands(db):
    return {
        "lumiere": make_brand(
            "lumiere",
            "Maison Lumière",
            is_default=True,
            accent_colour="#0b6e4f",
            policy_text_en="Lumière's own words.",
        ),
        "nord": make_brand(
            "nord",
            "Atelier Nord",
            accent_colour="#1c4f8a",
            accent_dark_colour="#143a66",
            sender_email="bonjour@nord.example",
            return_address="Atelier Nord - Retours\n4 Rue Royale\n1000 Bruxelles",
            policy_text_en="Nord's promise: we answer within a day.",
            host_name="nord.localhost",
        ),
    }


@pytest.fixture
def nord_order(order, brands):
    order.brand = brands["nord"]
    order.save(update_fields=["brand"])
    return order


def test_the_order_page_shows_the_orders_brand(customer_client, nord_order):
    # when
    page = customer_client.get(f"/orders/{nord_order.number}/").content.decode()
    # then
    assert '<img src="/brands/nord/logo/" alt="Atelier Nord">' in page
    assert "--accent:#1c4f8a; --accent-dark:#143a66;" in page
    assert "Maison Lumière" not in page
    assert '<footer class="site"><a href="/return-policy/?brand=nord">' in page
    assert "#0b6e4f;" not in page.split("</style>")[-2]  # the brand's block overrides


@pytest.fixture
def nord_host(settings):
    # A brand's portal host name is one the site serves (ALLOWED_HOSTS).
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "nord.localhost"]


def test_a_page_without_an_order_shows_the_brand_of_its_host_name(brands, nord_host):
    nord = english_client(HTTP_HOST="nord.localhost").get("/").content.decode()
    other = english_client().get("/").content.decode()
    assert '<img src="/brands/nord/logo/" alt="Atelier Nord">' in nord
    assert '<img src="/brands/lumiere/logo/" alt="Maison Lumière">' in other


def test_the_logo_is_served_as_uploaded(brands):
    response = english_client().get("/brands/nord/logo/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png_bytes("#1c4f8a")


def test_the_policy_page_of_a_brand_shows_its_policy_text(brands, nord_host):
    # when: the emails' link, and the brand's host name
    linked = english_client().get("/return-policy/?brand=nord").content.decode()
    hosted = english_client(HTTP_HOST="nord.localhost").get("/return-policy/").content.decode()
    default = english_client().get("/return-policy/").content.decode()
    # then
    for page in (linked, hosted):
        assert "Nord&#x27;s promise: we answer within a day." in page
        assert "Lumière&#x27;s own words." not in page
        assert '<img src="/brands/nord/logo/" alt="Atelier Nord">' in page
    assert "Lumière&#x27;s own words." in default
    assert "Nord&#x27;s" not in default


def test_the_emails_of_a_brands_return_speak_for_it(nord_order, staff):
    # given
    ret = make_return(nord_order, 1)
    notification = notification_enqueue(ret=ret, event="approved")
    # when
    message = build_message(notification)
    html = message.alternatives[0][0]
    # then
    assert message.from_email == "Atelier Nord <bonjour@nord.example>"
    assert '<img src="http://127.0.0.1:8000/brands/nord/logo/" alt="Atelier Nord"' in html
    assert "background:#1c4f8a;" in html
    assert 'href="http://127.0.0.1:8000/return-policy/?brand=nord"' in html
    assert "http://127.0.0.1:8000/return-policy/?brand=nord" in message.body
    assert "Maison Lumière" not in html + message.body


def test_the_preview_context_of_a_default_brand_return(order, brands):
    # the back-office's email preview renders this context for a real return
    context = email_context(make_return(order, 1))
    assert context["shop_name"] == "Maison Lumière"
    assert context["from_email"] == "Maison Lumière <returns@shop.example>"
    assert context["policy_url"] == "http://127.0.0.1:8000/return-policy/?brand=lumiere"


def test_the_label_sends_the_parcel_to_the_brands_return_address(nord_order, staff, shop_settings):
    # given: the shop's own return address, which the brand's replaces
    shop_settings.return_address = "Service retours\n12 rue des Lilas\n75011 Paris"
    shop_settings.save()
    # when
    ret = approved_with_label(staff, nord_order, 1)
    text = PdfReader(BytesIO(bytes(label_of(ret).pdf))).pages[0].extract_text().splitlines()
    # then
    for line in ("Atelier Nord", "Atelier Nord - Retours", "4 Rue Royale", "1000 Bruxelles"):
        assert line in text
    assert "12 rue des Lilas" not in text
    assert any(line.endswith("/return-policy/?brand=nord") for line in text)


def test_staff_filter_the_overview_by_brand(as_agent, order, nord_order, brands, other_order):
    # given: a return of brand Nord, one of an order without brand (the default's)
    nord_return = make_return(nord_order, 1)
    default_return = make_return(other_order, 1)

    # when
    def listed(query):
        response = as_agent.get(f"/admin/returns/return/?{query}")
        assert response.status_code == 200
        return {ret.rma_number for ret in response.context["cl"].result_list}

    # then
    assert listed("brand=nord") == {nord_return.rma_number}
    assert listed("brand=lumiere") == {default_return.rma_number}
    assert listed("") == {nord_return.rma_number, default_return.rma_number}


def test_the_back_office_preview_shows_the_brand_of_a_real_return(admin_client, nord_order):
    # given
    ret = make_return(nord_order, 1)
    # when
    response = admin_client.get(
        f"/admin/notifications/emailtemplate/preview/approved/en/?return={ret.rma_number}"
    )
    # then
    assert response.status_code == 200
    assert response.context["ret"] == ret
    html = response.context["rendered"].html_body
    assert '<img src="http://127.0.0.1:8000/brands/nord/logo/" alt="Atelier Nord"' in html
    assert "background:#1c4f8a;" in html
    assert response.context["rendered"].from_email == "Atelier Nord <bonjour@nord.example>"
