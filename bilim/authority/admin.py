from django.contrib import admin

from bilim.audit.admin import AuditedAdmin

from .models import Competence, CompetenceAssignment, Delegation, Revocation


class AssignmentInline(admin.TabularInline):
    model = CompetenceAssignment
    extra = 0
    can_delete = False
    raw_id_fields = ("legal_act",)


@admin.register(Competence)
class CompetenceAdmin(AuditedAdmin):
    list_display = ("code", "name_en", "name_ru", "sort_order")
    search_fields = ("code", "name_kk", "name_ru", "name_en")
    inlines = [AssignmentInline]


@admin.register(Delegation)
class DelegationAdmin(AuditedAdmin):
    """Read-only: delegations are written through services and ended by a revocation, never edited."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    list_display = ("competence", "grantor", "grantee", "scope_unit", "valid_from", "valid_to")
    list_filter = ("competence",)
    raw_id_fields = ("grantor", "grantee", "scope_unit", "organizations", "legal_act")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Revocation)
class RevocationAdmin(AuditedAdmin):
    """Read-only: revocations are written through authority.services."""

    list_display = ("delegation", "effective_date", "legal_act")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
