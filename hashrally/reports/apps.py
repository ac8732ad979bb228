from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "hashrally.reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from hashrally.campaigns import signals
        from hashrally.reports import receivers

        signals.page_context.connect(receivers.page_context, dispatch_uid="reports-page")
