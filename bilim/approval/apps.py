from django.apps import AppConfig


class ApprovalConfig(AppConfig):
    name = "bilim.approval"
    label = "approval"
