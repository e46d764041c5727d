"""Admin: episodes are read-mostly (changed only through the named actions), rules are edited here."""

from django.contrib import admin, messages
from django.db import transaction

from faults import actions
from faults.models import (
    AlertContact,
    AlertDelivery,
    EpisodeChange,
    EpisodeReport,
    FaultEpisode,
    PhantomRule,
    SiteIncident,
)
from knowledgebase.vocabulary import PhantomReason


class EpisodeReportInline(admin.TabularInline):
    model = EpisodeReport
    fields = ["event_at", "status_report", "device_event"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class EpisodeChangeInline(admin.TabularInline):
    model = EpisodeChange
    fields = ["at", "action", "detail", "by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FaultEpisode)
class FaultEpisodeAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "charger",
        "connector",
        "kind",
        "opened_at",
        "closed_at",
        "category",
        "responsible",
        "is_phantom",
        "phantom_reason",
    ]
    list_filter = ["kind", "is_phantom", "phantom_reason", "category", "responsible", "severity"]
    search_fields = ["charger__charge_point_id", "error_code", "vendor_error_code", "info"]
    list_select_related = ["charger", "connector__charger"]
    date_hierarchy = "opened_at"
    inlines = [EpisodeReportInline, EpisodeChangeInline]
    actions = ["unmark_as_phantom", "mark_as_model_quirk_phantom"]

    def get_readonly_fields(self, request, obj=None):
        # Every field: the named actions are the only writers of an episode.
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="It is a real fault (not a phantom)", permissions=["change"])
    def unmark_as_phantom(self, request, queryset):
        with transaction.atomic():
            for episode in queryset.select_for_update():
                actions.unmark_phantom(
                    episode, evidence={"decided_by": request.user.username}, by=request.user
                )

    @admin.action(description="It is a known model quirk (phantom)", permissions=["change"])
    def mark_as_model_quirk_phantom(self, request, queryset):
        refused = 0
        with transaction.atomic():
            for episode in queryset.select_for_update():
                try:
                    actions.mark_phantom(
                        episode,
                        reason=PhantomReason.MODEL_QUIRK,
                        evidence={"decided_by": request.user.username},
                        by=request.user,
                    )
                except ValueError:
                    refused += 1
        if refused:
            self.message_user(
                request, f"{refused} safety fault(s) left as real: they are never phantom.", messages.WARNING
            )


@admin.register(PhantomRule)
class PhantomRuleAdmin(admin.ModelAdmin):
    # ModelAdmin's form calls the model's clean(), which refuses rules that would hide a safety fault.
    list_display = [
        "name",
        "enabled",
        "vendor",
        "model",
        "firmware",
        "status",
        "error_code",
        "vendor_error_code",
    ]
    list_filter = ["enabled", "context"]
    search_fields = ["name", "vendor", "model", "vendor_error_code", "info_pattern"]


@admin.register(SiteIncident)
class SiteIncidentAdmin(admin.ModelAdmin):
    list_display = ["site", "cause", "opened_at", "closed_at", "explanation"]
    list_filter = ["cause"]
    list_select_related = ["site"]
    readonly_fields = ["site", "opened_at", "closed_at", "created_at"]


class AlertDeliveryInline(admin.TabularInline):
    model = AlertDelivery
    fields = ["episode", "kind", "channel", "state", "attempts", "last_error", "sent_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AlertContact)
class AlertContactAdmin(admin.ModelAdmin):
    list_display = ["name", "site", "email", "webhook_url", "receives_digest", "active"]
    list_filter = ["active", "site"]
    list_select_related = ["site"]
    search_fields = ["name", "email"]
    inlines = [AlertDeliveryInline]
