"""Pages. Each page module is thin: it calls selectors and renders a template."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import (
    pickers,
    views,
    views_analytics,
    views_authority,
    views_authority_writes,
    views_governance,
    views_projects,
    views_registry_writes,
    views_reports,
    views_writes,
)

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("overview/", views.national_overview, name="overview"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="web:login"), name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("pickers/units/", pickers.units, name="picker_units"),
    path("registry/", views.registry_browser, name="registry"),
    path("registry/export.<str:fmt>", views.registry_export, name="registry_export"),
    path("ou/<str:code>/", views.orgunit_profile, name="orgunit"),
    # registry writes: legal acts, restructuring events (preview, then apply), reversal
    path("registry/acts/", views_registry_writes.legal_acts, name="legal_acts"),
    path("registry/events/", views_registry_writes.event_list, name="events"),
    path("registry/events/new/<str:kind>/", views_registry_writes.event_new, name="event_new"),
    path("registry/events/<int:pk>/", views_registry_writes.event_detail, name="event"),
    path("registry/events/<int:pk>/reverse/", views_registry_writes.event_reverse, name="event_reverse"),
    # analytics
    path("compare/", views_analytics.compare, name="compare"),
    path("equity/", views_analytics.equity, name="equity"),
    # competences
    path("competences/", views_authority.competences, name="competences"),
    path("competences/holder/", views_authority.holder, name="holder"),
    path("competences/powers/", views_authority.powers, name="powers"),
    # competence writes (before competences/<code>/)
    path("competences/new/", views_authority_writes.competence_new, name="competence_new"),
    path("competences/delegations/", views_authority_writes.delegation_list, name="delegations"),
    path("competences/delegations/new/", views_authority_writes.delegation_new, name="delegation_new"),
    path("competences/delegations/<int:pk>/revoke/", views_authority_writes.delegation_revoke,
         name="delegation_revoke"),
    path("competences/<str:code>/assign/", views_authority_writes.competence_assign, name="competence_assign"),
    path("competences/<str:code>/", views_authority.competence_history, name="competence_history"),
    # governance
    path("meetings/", views_governance.meetings, name="meetings"),
    path("meetings/new/", views_writes.meeting_new, name="meeting_new"),
    path("meetings/<str:code>/edit/", views_writes.meeting_edit, name="meeting_edit"),
    path("meetings/<str:code>/delete/", views_writes.meeting_delete, name="meeting_delete"),
    path("meetings/<str:code>/", views_governance.meeting, name="meeting"),
    path("instructions/", views_governance.instructions, name="instructions"),
    path("instructions/new/", views_writes.instruction_new, name="instruction_new"),
    path("instructions/<path:code>/do/<str:what>/", views_writes.instruction_do, name="instruction_do"),
    path("instructions/<path:code>/", views_governance.instruction, name="instruction"),
    path("control/", views_governance.control, name="control"),
    # capital programmes
    path("projects/", views_projects.dashboard, name="projects"),
    path("projects/list/", views_projects.project_list, name="project_list"),
    path("projects/map/", views_projects.project_map, name="project_map"),
    path("projects/timeline/", views_writes.timeline, name="timeline"),
    path("projects/<str:code>/stages/", views_writes.project_stages, name="project_stages"),
    path("projects/<str:code>/", views_projects.project, name="project"),
    # printed reports (PDF)
    *[path(f"reports/{kind}/<str:code>.pdf", view, name=f"report_{kind}")
      for kind, view in views_reports.VIEWS.items()],
]
