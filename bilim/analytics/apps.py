from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "bilim.analytics"
    label = "analytics"
