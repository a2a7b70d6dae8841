from django.apps import AppConfig


class RehabConfig(AppConfig):
    name = "rehab"

    def ready(self):
        from rehab import checks  # noqa: F401  (registers the knowledge check)
