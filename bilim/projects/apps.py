from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "bilim.projects"
    label = "projects"
