from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from returns import label_views
from returns import views as return_views
from returns.webhooks import carrier_tracking_webhook

from shop import views

urlpatterns = [
    path("", views.home, name="home"),
    # Before Django's own: the same URL and name, remembering the choice on the account.
    path("i18n/setlang/", views.set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Anymail's tracking webhooks (/anymail/<provider>/tracking/), for the notifications.
    path("anymail/", include("anymail.urls")),
    # --- the customer portal: accounts
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/signup/", views.signup, name="signup"),
    path("account/confirm/<str:token>/", views.confirm_email, name="confirm_email"),
    path("account/confirm-again/", views.confirm_email_resend, name="confirm_email_resend"),
    path("password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    # --- the customer portal: orders and returns
    path("orders/", views.orders, name="orders"),
    path("orders/<str:number>/", views.order_detail, name="order_detail"),
    path("orders/<str:number>/return/", return_views.return_request_form,
         name="return_request"),
    path("orders/<str:number>/return/confirm/", return_views.return_request_confirm,
         name="return_confirm"),
    # Emails link to /returns/<rma_number>/ (notifications/emails.py).
    path("returns/<str:rma_number>/", return_views.return_detail, name="return_detail"),
    path("returns/<str:rma_number>/cancel/", return_views.return_cancel_view,
         name="return_cancel"),
    path("returns/<str:rma_number>/label/", label_views.return_label_download,
         name="return_label"),
    # Carriers' tracking webhooks (HMAC-signed: returns/webhooks.py).
    path("carriers/<slug:carrier_code>/tracking/", carrier_tracking_webhook,
         name="carrier_tracking_webhook"),
    path("lookup/", views.guest_lookup, name="guest_lookup"),
    path("lookup/close/", views.guest_forget, name="guest_forget"),
]
