from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every part shares and none owns: the network registry, text rules, the world map."""

    name = "hashrally.core"
    verbose_name = "Core"
