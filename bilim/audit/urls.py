"""The audit page (mounted at /audit/)."""

from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.records, name="records"),
    path("export.csv", views.export_csv, name="export"),
    path("verify/", views.verify, name="verify"),
]
