from django.apps import AppConfig


class SupportersConfig(AppConfig):
    name = "hashrally.supporters"
    verbose_name = "Supporters"
