from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "bilim.demo"
    label = "demo"
