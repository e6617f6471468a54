from django.urls import path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from api.views import catalogue, credit, orders, returns

app_name = "api"

urlpatterns = [
    path("orders/<str:number>", orders.OrderView.as_view(), name="order"),
    path(
        "orders/<str:number>/returnable",
        orders.OrderReturnableView.as_view(),
        name="order_returnable",
    ),
    path("returns", returns.ReturnsView.as_view(), name="returns"),
    path("returns/preview", returns.ReturnPreviewView.as_view(), name="return_preview"),
    path("returns/<str:rma_number>", returns.ReturnDetailView.as_view(), name="return"),
    path(
        "returns/<str:rma_number>/cancel", returns.ReturnCancelView.as_view(), name="return_cancel"
    ),
    path(
        "returns/<str:rma_number>/approve",
        returns.ReturnApproveView.as_view(),
        name="return_approve",
    ),
    path(
        "returns/<str:rma_number>/reject", returns.ReturnRejectView.as_view(), name="return_reject"
    ),
    path(
        "returns/<str:rma_number>/receive",
        returns.ReturnReceiveView.as_view(),
        name="return_receive",
    ),
    path(
        "returns/<str:rma_number>/mark-refunded",
        returns.ReturnMarkRefundedView.as_view(),
        name="return_mark_refunded",
    ),
    path(
        "returns/<str:rma_number>/refund",
        returns.ReturnRefundView.as_view(),
        name="return_refund",
    ),
    path(
        "returns/<str:rma_number>/refunds",
        returns.ReturnRefundsView.as_view(),
        name="return_refunds",
    ),
    path("returns/<str:rma_number>/label", returns.ReturnLabelView.as_view(), name="return_label"),
    path("store-credit/<str:code>", credit.StoreCreditCodeView.as_view(), name="store_credit"),
    path(
        "store-credit/<str:code>/redeem",
        credit.StoreCreditRedeemView.as_view(),
        name="store_credit_redeem",
    ),
    path("reasons", catalogue.ReasonsView.as_view(), name="reasons"),
    path("actions", catalogue.ActionsView.as_view(), name="actions"),
    # The schema and its pages, from local assets (drf-spectacular-sidecar): no CDN.
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]
