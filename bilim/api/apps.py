from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "bilim.api"
    label = "api"
