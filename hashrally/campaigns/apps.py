from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "hashrally.campaigns"
    verbose_name = "Campaigns"
