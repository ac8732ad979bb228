from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "hashrally.listening"
    verbose_name = "Listening"
