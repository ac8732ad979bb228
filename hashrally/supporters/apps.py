from django.apps import AppConfig


class SupportersConfig(AppConfig):
    name = "hashrally.supporters"
    verbose_name = "Supporters"

    def ready(self) -> None:
        from hashrally.campaigns import signals
        from hashrally.supporters import receivers

        signals.page_context.connect(receivers.page_context, dispatch_uid="supporters-page")
        signals.share_clicked.connect(receivers.share_clicked, dispatch_uid="supporters-clicks")
