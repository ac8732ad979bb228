from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "hashrally.listening"
    verbose_name = "Listening"

    def ready(self) -> None:
        from django.conf import settings

        from hashrally.listening import records

        records.use_model_cache(settings.VAR_DIR / "cache")
