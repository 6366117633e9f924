from django.apps import AppConfig


class MetadataConfig(AppConfig):
    name = "bilim.metadata"
    label = "metadata"
