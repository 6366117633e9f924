from django.apps import AppConfig


class AuthorityConfig(AppConfig):
    name = "bilim.authority"
    label = "authority"
