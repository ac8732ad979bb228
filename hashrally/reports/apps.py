from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "hashrally.reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from hashrally.campaigns import signals
        from hashrally.campaigns.models import Campaign
        from hashrally.reports import receivers

        signals.page_context.connect(receivers.page_context, dispatch_uid="reports-page")
        pre_delete.connect(
            receivers.fold_before_delete, sender=Campaign, dispatch_uid="reports-fold-first"
        )
