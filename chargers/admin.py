from django import forms
from django.contrib import admin

from chargers.models import Charger, Command, Connector, LocalAuthorization, ModelPolicy, OcppMessage, Site


class LocalAuthorizationInline(admin.TabularInline):
    model = LocalAuthorization
    extra = 0


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone", "address", "use_local_authorization_list"]
    search_fields = ["name", "address"]
    inlines = [LocalAuthorizationInline]


@admin.register(ModelPolicy)
class ModelPolicyAdmin(admin.ModelAdmin):
    list_display = ["vendor", "model_pattern", "accept_nonconforming", "note"]
    list_editable = ["accept_nonconforming"]
    search_fields = ["vendor", "model_pattern"]


class ConnectorInline(admin.TabularInline):
    model = Connector
    extra = 0
    fields = [
        "evse_id",
        "connector_id",
        "status",
        "error_code",
        "vendor_error_code",
        "status_since",
    ]
    readonly_fields = ["status", "error_code", "vendor_error_code", "status_since"]


class ChargerAdminForm(forms.ModelForm):
    new_password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="HTTP Basic password (Security Profile 1/2), 16+ characters. Empty keeps the current one.",
        min_length=16,
    )
    clear_password = forms.BooleanField(
        required=False, help_text="Let this charger connect without a password."
    )

    class Meta:
        model = Charger
        fields = [
            "charge_point_id",
            "site",
            "registration_state",
            "vendor",
            "model",
            "serial_number",
            "firmware_version",
            "ocpp_version",
            "heartbeat_interval",
            "commissioned_at",
            "decommissioned_at",
        ]

    def save(self, commit=True):
        charger = super().save(commit=False)
        if self.cleaned_data.get("clear_password"):
            charger.set_password(None)
        elif self.cleaned_data.get("new_password"):
            charger.set_password(self.cleaned_data["new_password"])
        if commit:
            charger.save()
        return charger


@admin.register(Charger)
class ChargerAdmin(admin.ModelAdmin):
    form = ChargerAdminForm
    list_display = [
        "charge_point_id",
        "site",
        "vendor",
        "model",
        "firmware_version",
        "ocpp_version",
        "registration_state",
        "last_seen_at",
    ]
    list_filter = ["registration_state", "ocpp_version", "vendor", "site"]
    search_fields = ["charge_point_id", "serial_number", "vendor", "model"]
    list_select_related = ["site"]
    readonly_fields = ["last_boot_at", "last_seen_at", "created_at"]
    inlines = [ConnectorInline]


@admin.register(Connector)
class ConnectorAdmin(admin.ModelAdmin):
    list_display = ["charger", "evse_id", "connector_id", "status", "error_code", "status_since"]
    list_filter = ["status"]
    search_fields = ["charger__charge_point_id"]
    list_select_related = ["charger"]


@admin.register(OcppMessage)
class OcppMessageAdmin(admin.ModelAdmin):
    list_display = [
        "received_at",
        "charger",
        "direction",
        "message_type",
        "action",
        "unique_id",
        "error",
    ]
    list_filter = ["direction", "message_type"]
    search_fields = ["charger__charge_point_id", "unique_id", "action"]
    list_select_related = ["charger"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return False  # the log is evidence: never edited


@admin.register(Command)
class CommandAdmin(admin.ModelAdmin):
    list_display = ["requested_at", "charger", "action", "status", "requested_by"]
    list_filter = ["status", "action"]
    list_select_related = ["charger", "requested_by"]

    def has_change_permission(self, request, obj=None):
        return False
