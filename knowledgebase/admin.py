"""The Django admin: Knowledge-base admins edit everything; other staff may only read."""

from django import forms
from django.contrib import admin, messages

from knowledgebase import actions
from knowledgebase.models import (
    ChargerModel,
    CodeEntry,
    FaultCategory,
    Manual,
    Manufacturer,
    Playbook,
    PlaybookStep,
    TextPattern,
    UnknownCode,
    category_choices,
)
from knowledgebase.vocabulary import EntryStatus


class ChargerModelInline(admin.TabularInline):
    model = ChargerModel
    extra = 0


@admin.register(Manufacturer)
class ManufacturerAdmin(admin.ModelAdmin):
    list_display = ["name", "aliases", "is_sample"]
    list_filter = ["is_sample"]
    search_fields = ["name", "aliases"]
    inlines = [ChargerModelInline]


@admin.register(ChargerModel)
class ChargerModelAdmin(admin.ModelAdmin):
    list_display = ["name", "manufacturer", "name_patterns"]
    list_filter = ["manufacturer"]
    search_fields = ["name", "name_patterns", "manufacturer__name"]


@admin.register(FaultCategory)
class FaultCategoryAdmin(admin.ModelAdmin):
    list_display = ["label", "value", "is_safety", "is_builtin"]
    list_filter = ["is_safety", "is_builtin"]
    search_fields = ["label", "value"]

    def get_readonly_fields(self, request, obj=None):
        return ["value"] if obj is not None and obj.is_builtin else []


class CodeEntryForm(forms.ModelForm):
    category = forms.ChoiceField(choices=())

    class Meta:
        model = CodeEntry
        fields = [
            "scope",
            "manufacturer",
            "charger_model",
            "firmware_min",
            "firmware_max",
            "code",
            "text_pattern",
            "meaning",
            "category",
            "severity",
            "responsible",
            "escalation_responsible",
            "next_action",
            "playbook",
            "charging_possible",
            "source",
            "manual",
            "manual_page",
            "status",
            "is_sample",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()


@admin.register(CodeEntry)
class CodeEntryAdmin(admin.ModelAdmin):
    form = CodeEntryForm
    list_display = [
        "code",
        "text_pattern",
        "scope",
        "manufacturer",
        "charger_model",
        "category",
        "severity",
        "status",
    ]
    list_filter = [
        "status",
        "scope",
        "category",
        "severity",
        "responsible",
        "source",
        "is_sample",
        "manufacturer",
    ]
    search_fields = ["code", "text_pattern", "meaning", "next_action", "manufacturer__name"]
    list_select_related = ["manufacturer", "charger_model"]
    autocomplete_fields = ["manufacturer", "charger_model", "playbook", "manual"]
    readonly_fields = ["approved_by", "approved_at", "updated_at"]
    actions = ["approve_selected"]

    @admin.action(description="Approve the selected drafts (make them live)", permissions=["change"])
    def approve_selected(self, request, queryset):
        drafts = list(queryset.filter(status=EntryStatus.DRAFT))
        for draft in drafts:
            actions.approve_entry(draft, request.user)
        self.message_user(request, f"{len(drafts)} drafts are live.", messages.SUCCESS)


class PlaybookStepInline(admin.StackedInline):
    model = PlaybookStep
    extra = 0
    ordering = ["position"]


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "escalation_responsible"]
    search_fields = ["name", "summary", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PlaybookStepInline]


@admin.register(TextPattern)
class TextPatternAdmin(admin.ModelAdmin):
    list_display = ["name", "pattern", "entry", "priority", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "pattern"]
    list_select_related = ["entry", "entry__manufacturer"]
    autocomplete_fields = ["entry"]


@admin.register(Manual)
class ManualAdmin(admin.ModelAdmin):
    list_display = [
        "original_name",
        "manufacturer",
        "version",
        "kind",
        "status",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["status", "kind", "manufacturer"]
    search_fields = ["original_name", "version", "manufacturer__name"]
    list_select_related = ["manufacturer", "uploaded_by"]
    readonly_fields = ["sha256", "kind", "report", "uploaded_by", "uploaded_at", "status", "column_mapping"]
    actions = ["approve_all_drafts"]

    def has_add_permission(self, request):
        # Uploads go through the import page, which checks and reads the file.
        return False

    @admin.action(description="Approve every draft of the selected manuals", permissions=["change"])
    def approve_all_drafts(self, request, queryset):
        count = sum(actions.approve_all(manual, request.user) for manual in queryset)
        self.message_user(request, f"{count} drafts are live.", messages.SUCCESS)


@admin.register(UnknownCode)
class UnknownCodeAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "vendor",
        "model",
        "occurrences",
        "affected_chargers",
        "last_seen_at",
        "resolved_by",
    ]
    list_filter = ["manufacturer", ("resolved_by", admin.EmptyFieldListFilter)]
    search_fields = ["code", "vendor", "model"]
    list_select_related = ["manufacturer", "resolved_by"]
