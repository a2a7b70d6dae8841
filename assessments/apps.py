from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"

    def ready(self):
        from assessments import checks  # noqa: F401  (registers the knowledge check)
