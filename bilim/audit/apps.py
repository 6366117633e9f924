from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "bilim.audit"
    label = "audit"
