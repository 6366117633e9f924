from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "bilim.reports"
    label = "reports"
    verbose_name = "Printed reports"
