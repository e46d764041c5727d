from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from chargers.models import Charger, Command, Connector, OcppMessage, Site


class SiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Site
        fields = [
            "id",
            "name",
            "address",
            "timezone",
            "hours_of_operation",
            "latitude",
            "longitude",
        ]


class ConnectorSerializer(serializers.ModelSerializer):
    since = serializers.DateTimeField(source="status_since", read_only=True)

    class Meta:
        model = Connector
        fields = [
            "evse_id",
            "connector_id",
            "status",
            "error_code",
            "vendor_error_code",
            "info",
            "since",
        ]


def is_online(charger: Charger, now=None) -> bool:
    """Online while traffic keeps coming: last sign of life within heartbeat interval plus grace,
    and the socket not known to be closed (the `connected` annotation, when the query made one)."""
    if charger.last_seen_at is None or getattr(charger, "connected", True) is False:
        return False
    interval = charger.heartbeat_interval or settings.OCPP_HEARTBEAT_INTERVAL
    limit = interval + settings.OCPP_OFFLINE_GRACE
    return ((now or timezone.now()) - charger.last_seen_at).total_seconds() <= limit


class ChargerSerializer(serializers.ModelSerializer):
    site = serializers.SlugRelatedField(
        slug_field="name", queryset=Site.objects.all(), allow_null=True, required=False
    )
    password = serializers.CharField(
        write_only=True,
        required=False,
        min_length=16,
        max_length=64,
        style={"input_type": "password"},
    )
    online = serializers.SerializerMethodField()

    class Meta:
        model = Charger
        fields = [
            "charge_point_id",
            "site",
            "password",
            "vendor",
            "model",
            "serial_number",
            "firmware_version",
            "ocpp_version",
            "registration_state",
            "online",
            "last_seen_at",
        ]
        read_only_fields = [
            "vendor",
            "model",
            "serial_number",
            "firmware_version",
            "ocpp_version",
            "registration_state",
            "last_seen_at",
        ]

    def get_online(self, charger) -> bool:
        return is_online(charger)

    def validate_charge_point_id(self, value):
        if ":" in value or "/" in value or not value.strip():
            raise serializers.ValidationError("A charge point id cannot be empty or contain ':' or '/'.")
        return value

    def create(self, validated_data):
        password = validated_data.pop("password", None)
        charger = Charger(**validated_data)
        charger.set_password(password)
        charger.save()
        return charger


class ChargerDetailSerializer(ChargerSerializer):
    connectors = ConnectorSerializer(many=True, read_only=True)
    summary = serializers.SerializerMethodField()

    class Meta(ChargerSerializer.Meta):
        fields = ChargerSerializer.Meta.fields + ["connectors", "summary"]

    def get_summary(self, charger) -> str:
        return self.context.get("summary", "")


class OcppMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = OcppMessage
        fields = [
            "id",
            "received_at",
            "direction",
            "message_type",
            "unique_id",
            "action",
            "payload",
            "raw",
            "ocpp_version",
            "error",
        ]


class CommandSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Command
        fields = [
            "id",
            "action",
            "payload",
            "status",
            "response",
            "requested_by",
            "requested_at",
            "answered_at",
            "unique_id",
            "context",
        ]


class CommandRequestSerializer(serializers.Serializer):
    action = serializers.CharField(max_length=64)
    payload = serializers.DictField(required=False, default=dict)
    context = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
