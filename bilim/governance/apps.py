from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "bilim.governance"
    label = "governance"
