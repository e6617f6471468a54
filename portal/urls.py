from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal.views import accounts, brands, credit, labels, orders, photos, policy, returns

urlpatterns = [
    path("", accounts.home, name="home"),
    # Before Django's own: the same URL and name, remembering the choice on the account.
    path("i18n/setlang/", accounts.set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    # --- accounts
    path("login/", accounts.PortalLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/signup/", accounts.signup, name="signup"),
    path("account/confirm/<str:token>/", accounts.confirm_email, name="confirm_email"),
    path("account/confirm-again/", accounts.confirm_email_resend, name="confirm_email_resend"),
    path("password-reset/", accounts.PortalPasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        accounts.PortalPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # --- orders and returns
    path("orders/", orders.orders, name="orders"),
    path("account/credit/", credit.store_credit, name="store_credit"),
    path("orders/<str:number>/", orders.order_detail, name="order_detail"),
    path("orders/<str:number>/return/", returns.return_request_form, name="return_request"),
    path(
        "orders/<str:number>/return/confirm/", returns.return_request_confirm, name="return_confirm"
    ),
    # Emails link to /returns/<rma_number>/ (notifications/emails.py).
    path("returns/<str:rma_number>/", returns.return_detail, name="return_detail"),
    path("returns/<str:rma_number>/cancel/", returns.return_cancel_view, name="return_cancel"),
    path("returns/<str:rma_number>/label/", labels.return_label_download, name="return_label"),
    path("returns/<str:rma_number>/label/qr/", labels.return_label_qr, name="return_label_qr"),
    path(
        "returns/<str:rma_number>/label/qr.svg",
        labels.return_label_qr_svg,
        name="return_label_qr_svg",
    ),
    path(
        "returns/<str:rma_number>/photos/<int:photo_id>/",
        photos.return_photo,
        name="return_photo",
    ),
    # Public: what may be returned and how, stated from the rules (returns/policy_page.py).
    path("return-policy/", policy.return_policy, name="return_policy"),
    # Public: a brand's logo, for the portal's header and the emails.
    path("brands/<slug:code>/logo/", brands.brand_logo, name="brand_logo"),
    path("lookup/", orders.guest_lookup, name="guest_lookup"),
    path("lookup/close/", orders.guest_forget, name="guest_forget"),
]
