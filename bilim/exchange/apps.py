from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "bilim.exchange"
    label = "exchange"
