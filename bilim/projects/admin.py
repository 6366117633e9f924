from django.contrib import admin

from bilim.audit.admin import AuditedAdmin

from . import selectors
from .models import BudgetLine, Milestone, Project


class BudgetInline(admin.TabularInline):
    model = BudgetLine
    extra = 0


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


@admin.register(Project)
class ProjectAdmin(AuditedAdmin):
    """Status and completion date change only through projects.services (workflow + audit)."""

    list_display = ("code", "type", "title_en", "territory", "status", "places")
    list_filter = ("type", "status")
    search_fields = ("code", "title_kk", "title_ru", "title_en")
    raw_id_fields = ("territory", "organizations", "instruction")
    readonly_fields = ("status", "completed_on")
    inlines = [BudgetInline, MilestoneInline]

    def get_queryset(self, request):  # a staff account with a limited scope sees its projects only
        return selectors.projects_for(request.user, super().get_queryset(request))
