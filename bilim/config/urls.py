"""Top-level URL map; each app owns its own urls module."""

from django.contrib import admin
from django.urls import include, path

from bilim.api.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("collection/", include("bilim.approval.urls")),
    path("exchange/", include("bilim.exchange.urls")),
    path("audit/", include("bilim.audit.urls")),
    path("accounts/", include("bilim.accounts.urls")),
    path("", include("bilim.web.urls")),
]
