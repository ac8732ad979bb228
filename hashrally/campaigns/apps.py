from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "hashrally.campaigns"
    verbose_name = "Campaigns"

    def ready(self) -> None:
        from hashrally.campaigns import audit

        audit.connect()
