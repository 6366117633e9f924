"""User administration pages under /accounts/users/ (sign-in and sign-out stay in `bilim.web.urls`)."""

from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("users/", views.user_list, name="users"),
    path("users/new/", views.user_new, name="user_new"),
    path("users/<str:username>/", views.user_detail, name="user"),
    path("users/<str:username>/active/", views.user_active, name="user_active"),
    path("users/<str:username>/password/", views.user_password, name="user_password"),
    path("users/<str:username>/tokens/", views.token_issue, name="token_issue"),
    path("users/<str:username>/tokens/<str:prefix>/revoke/", views.token_revoke, name="token_revoke"),
]
