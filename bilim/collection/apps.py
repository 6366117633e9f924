from django.apps import AppConfig


class CollectionConfig(AppConfig):
    name = "bilim.collection"
    label = "collection"
