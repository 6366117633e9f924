from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "bilim.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from .services import touch_used_tokens

        # token reads record their use after the response (see services.user_for_token)
        request_finished.connect(touch_used_tokens, dispatch_uid="bilim-touch-used-tokens")
