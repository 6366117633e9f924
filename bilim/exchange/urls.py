"""Upload and template pages (mounted at /exchange/)."""

from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("upload/", views.upload, name="upload"),
    path("jobs/<uuid:job_id>/", views.job, name="job"),
    path("jobs/<uuid:job_id>/progress/", views.job_progress, name="job_progress"),
    path("template/", views.template, name="template"),
]
