from django.apps import AppConfig


class SiteConfig(AppConfig):
    """What drives every part: the worker's loop, health views, the site's URLs."""

    name = "hashrally.site"
    label = "hashrally_site"
    verbose_name = "Site"
