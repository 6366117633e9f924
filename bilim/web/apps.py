from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "bilim.web"
    label = "web"
