from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "bilim.accounts"
    label = "accounts"
