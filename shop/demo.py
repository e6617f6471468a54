"""Demo data for a clothing shop: idempotent, so `seed_demo` can run on every `make run`."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from shop.models import (
    Brand,
    Customer,
    Order,
    OrderLine,
    Product,
    ShopSettings,
    StockMovement,
    User,
    Variant,
)
from shop.roles import ensure_staff_roles, role_group
from shop.services import stock_move

STAFF_LOGIN = ("staff@shop.example", "staff-demo-2026")
# One demo login per staff role (shop/roles.py), to see what each may do.
ROLE_LOGINS = [
    ("agent@shop.example", "agent-demo-2026", "Inès Petit", "returns_agent"),
    ("refunds@shop.example", "refunds-demo-2026", "Hugo Bernard", "refunds_manager"),
    ("admin@shop.example", "admin-demo-2026", "Chloé Moreau", "shop_admin"),
]
CUSTOMER_LOGINS = [
    # email, password, first name, last name, language, country
    ("camille@example.com", "camille-demo-2026", "Camille", "Durand", "fr", "FR"),
    ("alex@example.com", "alex-demo-2026", "Alex", "Walker", "en", "BE"),
]

# (product in French, in English), category,
# [(sku, option, price, stock, stock managed by the point of sale)]
CATALOGUE = [
    (
        ("T-shirt coton bio", "Organic cotton T-shirt"),
        "tops",
        [
            ("TS-BIO-S", "S", "12.99", 40, False),
            ("TS-BIO-M", "M", "12.99", 35, False),
            ("TS-BIO-L", "L", "12.99", 20, False),
        ],
    ),
    (
        ("Chaussettes rayées (lot de 3)", "Striped socks (3 pairs)"),
        "accessories",
        [("SO-RAY-39", "39-42", "19.74", 60, False)],
    ),
    (
        ("Jean droit", "Straight jeans"),
        "bottoms",
        [
            ("JE-DRT-38", "38", "59.90", 12, False),
            ("JE-DRT-40", "40", "59.90", 15, False),
            ("JE-DRT-42", "42", "59.90", 8, False),
        ],
    ),
    (
        ("Pull en laine mérinos", "Merino wool jumper"),
        "knitwear",
        [("PU-MER-M", "M", "89.00", 10, False), ("PU-MER-L", "L", "89.00", 6, False)],
    ),
    (
        ("Robe d'été lin", "Linen summer dress"),
        "dresses",
        [("RO-LIN-36", "36", "74.50", 9, False), ("RO-LIN-38", "38", "74.50", 11, False)],
    ),
    (
        ("Baskets toile", "Canvas sneakers"),
        "shoes",
        [("BA-TOI-41", "41", "49.00", 7, True), ("BA-TOI-43", "43", "49.00", 5, True)],
    ),
]

# number, customer index, status, placed days ago, delivered days ago, shipping, discount,
# lines [(sku, quantity)]
ORDERS = [
    # The worked example merchants know: items 32.73 EUR + shipping 6.00 EUR.
    ("DEMO-1001", 0, "delivered", 9, 5, "6.00", "0.00", [("TS-BIO-M", 1), ("SO-RAY-39", 1)]),
    (
        "DEMO-1002",
        0,
        "delivered",
        20,
        16,
        "0.00",
        "10.00",
        [("JE-DRT-40", 1), ("PU-MER-M", 1), ("TS-BIO-S", 2)],
    ),
    ("DEMO-1003", 0, "delivered", 70, 65, "6.00", "0.00", [("RO-LIN-38", 1)]),
    ("DEMO-1004", 0, "shipped", 3, None, "6.00", "0.00", [("PU-MER-L", 1)]),
    (
        "DEMO-1005",
        1,
        "delivered",
        12,
        8,
        "8.00",
        "0.00",
        [("RO-LIN-36", 1), ("BA-TOI-41", 1), ("TS-BIO-L", 1)],
    ),
    ("DEMO-1006", 1, "delivered", 6, 3, "8.00", "5.00", [("JE-DRT-42", 2), ("SO-RAY-39", 1)]),
    ("DEMO-1007", 1, "placed", 1, None, "8.00", "0.00", [("TS-BIO-M", 3)]),
    ("DEMO-1008", 1, "cancelled", 30, None, "8.00", "0.00", [("PU-MER-M", 1)]),
    ("DEMO-1009", 0, "delivered", 14, 10, "6.00", "0.00", [("JE-DRT-38", 1), ("TS-BIO-L", 1)]),
    ("DEMO-1010", 1, "delivered", 25, 21, "0.00", "0.00", [("PU-MER-L", 1), ("RO-LIN-38", 1)]),
]


# code, name, accent, dark accent, host name, return address, default; the second brand's
# orders are Alex's.
BRANDS = [
    ("maison-lumiere", "Maison Lumière", "#0b6e4f", "#08553d", None, "", True),
    (
        "atelier-nord",
        "Atelier Nord",
        "#1c4f8a",
        "#143a66",
        "nord.localhost",
        "Atelier Nord - Retours\n4 Rue Royale\n1000 Bruxelles\nBelgique",
        False,
    ),
]
BRAND_CUSTOMER = {0: "maison-lumiere", 1: "atelier-nord"}


def _logo_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's own font has no "è" (it drew "Maison Lumi▯re"); DejaVu Sans, where the system
    # has it, has every accent.
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size)


def _logo(name: str, colour: str) -> ContentFile:
    """A small PNG of the brand's name on its colour (Pillow, as Django's ImageField reads)."""
    image = Image.new("RGB", (360, 80), colour)
    ImageDraw.Draw(image).text((16, 22), name, fill="#ffffff", font=_logo_font(32))
    out = BytesIO()
    image.save(out, format="PNG")
    return ContentFile(out.getvalue())


def seed_brands() -> dict[str, Brand]:
    brands = {}
    for code, name, accent, dark, host, address, default in BRANDS:
        brand, created = Brand.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "accent_colour": accent,
                "accent_dark_colour": dark,
                "host_name": host,
                "return_address": address,
                "is_default": default and not Brand.objects.filter(is_default=True).exists(),
                "sender_name": name,
                "policy_text_en": f"{name}: thank you for your order.",
                "policy_text_fr": f"{name} : merci pour votre commande.",
            },
        )
        if created:
            brand.logo.save(f"{code}.png", _logo(name, accent))
        brands[code] = brand
    return brands


def demo_user_emails() -> list[str]:
    """The logins seed_demo creates (their passwords are in the README): production refuses
    to start while any exists (config/checks.py, config.E003)."""
    return [
        STAFF_LOGIN[0],
        *(email for email, *_rest in ROLE_LOGINS),
        *(email for email, *_rest in CUSTOMER_LOGINS),
    ]


def _user(email, password, **extra):
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, password, **extra)
    return user


@transaction.atomic
def seed_shop() -> dict:
    """Create the demo shop once; later calls change nothing. Returns the demo logins."""
    ShopSettings.load()
    staff = _user(*STAFF_LOGIN, full_name="Sam Martin", is_staff=True, is_superuser=True)
    ensure_staff_roles()
    for email, password, name, role in ROLE_LOGINS:
        _user(email, password, full_name=name, is_staff=True).groups.add(role_group(role))
    customers = []
    for email, password, first, last, language, country in CUSTOMER_LOGINS:
        user = _user(email, password, full_name=f"{first} {last}", language=language)
        customer, _ = Customer.objects.get_or_create(
            email=email,
            defaults={
                "first_name": first,
                "last_name": last,
                "language": language,
                "country": country,
                "user": user,
            },
        )
        customers.append(customer)
    for (name_fr, name_en), category, variants in CATALOGUE:
        product, _ = Product.objects.get_or_create(
            name_fr=name_fr, name_en=name_en, defaults={"category": category}
        )
        for sku, option, price, stock, pos in variants:
            variant, _ = Variant.objects.get_or_create(
                sku=sku,
                defaults={
                    "product": product,
                    "option_fr": option,
                    "option_en": option,
                    "price": Decimal(price),
                    "stock_managed_by_pos": pos,
                },
            )
            stock_move(
                variant=variant,
                quantity=stock,
                kind=StockMovement.Kind.IMPORT,
                note="demo stock",
                key=f"demo:stock:{sku}",
            )
    brands = seed_brands()
    now = timezone.now()
    for number, who, status, placed, delivered, shipping, discount, lines in ORDERS:
        if Order.objects.filter(number=number).exists():
            continue
        customer = customers[who]
        by_sku = {v.sku: v for v in Variant.objects.filter(sku__in=[s for s, _ in lines])}
        items = sum(by_sku[sku].price * quantity for sku, quantity in lines)
        order = Order.objects.create(
            number=number,
            customer=customer,
            email=customer.email,
            status=status,
            shipping_country=customer.country,
            shipping_postcode="75011" if who == 0 else "1000",
            currency="EUR",
            placed_at=now - timedelta(days=placed),
            delivered_at=None if delivered is None else now - timedelta(days=delivered),
            shipping_cost=Decimal(shipping),
            discount=Decimal(discount),
            amount_paid=items + Decimal(shipping) - Decimal(discount),
            outbound_tracking_number="" if status == "placed" else f"OUT{number[-4:]}FR",
            brand=brands[BRAND_CUSTOMER[who]],
        )
        for sku, quantity in lines:
            OrderLine.objects.create(
                order=order,
                variant=by_sku[sku],
                quantity=quantity,
                unit_price_paid=by_sku[sku].price,
            )
    return {
        "staff": STAFF_LOGIN,
        "customers": [(c[0], c[1]) for c in CUSTOMER_LOGINS],
        "roles": [(email, password, role) for email, password, _name, role in ROLE_LOGINS],
        "staff_user": staff,
    }
