from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "bilim.registry"
    label = "registry"
