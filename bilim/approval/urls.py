"""Data entry, validation, approval and completeness pages (mounted at /collection/)."""

from django.urls import path

from . import views

app_name = "approval"
urlpatterns = [
    path("", views.index, name="index"),
    path("entry/<str:data_set>/<str:ou_code>/<str:period>/", views.entry, name="entry"),
    path("action/<str:data_set>/<str:ou_code>/<str:period>/", views.action, name="action"),
    path("approval/<str:data_set>/<str:ou_code>/<str:period>/", views.approval, name="approval"),
    path("validation/<str:data_set>/<str:ou_code>/<str:period>/", views.validation, name="validation"),
    path("completeness/<str:data_set>/<str:period>/", views.completeness, name="completeness"),
]
