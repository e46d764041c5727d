import json

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from knowledgebase.models import ChargerModel, CodeEntry, Manual, Manufacturer, Playbook, PlaybookStep
from knowledgebase.vocabulary import EntryStatus


class CodeEntrySerializer(serializers.ModelSerializer):
    manufacturer_name = serializers.CharField(source="manufacturer.name", read_only=True, default="")
    charger_model_name = serializers.CharField(source="charger_model.name", read_only=True, default="")
    playbook_name = serializers.CharField(source="playbook.name", read_only=True, default="")
    status = serializers.ChoiceField(
        choices=[EntryStatus.DRAFT, EntryStatus.LIVE], default=EntryStatus.LIVE, required=False
    )

    class Meta:
        model = CodeEntry
        fields = [
            "id",
            "scope",
            "manufacturer",
            "manufacturer_name",
            "charger_model",
            "charger_model_name",
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
            "playbook_name",
            "charging_possible",
            "source",
            "manual",
            "manual_page",
            "status",
            "is_sample",
            "updated_at",
        ]
        read_only_fields = ["manual", "is_sample", "updated_at"]

    def validate(self, attrs):
        probe = CodeEntry(**{key: value for key, value in attrs.items() if key != "status"})
        try:
            probe.clean()
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
        if attrs.get("status", EntryStatus.LIVE) == EntryStatus.LIVE:
            key = probe.compute_match_key()
            if CodeEntry.objects.filter(match_key=key, status=EntryStatus.LIVE).exists():
                raise serializers.ValidationError(
                    {"code": "A live entry for this code and scope exists already; edit it instead."}
                )
        return attrs

    def create(self, validated_data):
        if validated_data.get("status", EntryStatus.LIVE) == EntryStatus.LIVE:
            validated_data["approved_by"] = self.context["request"].user
        return super().create(validated_data)


class PlaybookStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlaybookStep
        fields = ["position", "title", "instructions", "safety_note", "role", "tools", "estimated_minutes"]


class PlaybookSerializer(serializers.ModelSerializer):
    steps = PlaybookStepSerializer(many=True, read_only=True)

    class Meta:
        model = Playbook
        fields = ["id", "slug", "name", "summary", "steps", "escalation", "escalation_responsible"]


class ManualUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    manufacturer = serializers.CharField(help_text="The manufacturer's id or exact name.")
    charger_models = serializers.PrimaryKeyRelatedField(
        queryset=ChargerModel.objects.all(), many=True, required=False
    )
    version = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    mapping = serializers.CharField(
        required=False,
        help_text='CSV/XLSX only: JSON like {"code": 0, "meaning": 1, "next_action": 2} (column numbers). '
        "Without it the mapping is guessed from the header row.",
    )

    def validate_manufacturer(self, value):
        lookup = {"pk": int(value)} if value.isdigit() else {"name": value}
        try:
            return Manufacturer.objects.get(**lookup)
        except Manufacturer.DoesNotExist:
            raise serializers.ValidationError(f"No manufacturer {value!r}.") from None

    def validate_mapping(self, value):
        try:
            mapping = json.loads(value)
        except ValueError:
            raise serializers.ValidationError("Not JSON.") from None
        if not isinstance(mapping, dict):
            raise serializers.ValidationError('Give an object like {"code": 0, "meaning": 1}.')
        return mapping

    def validate(self, attrs):
        manufacturer = attrs["manufacturer"]
        wrong = [
            str(model)
            for model in attrs.get("charger_models", [])
            if model.manufacturer_id != manufacturer.pk
        ]
        if wrong:
            raise serializers.ValidationError(
                {"charger_models": f"Not {manufacturer} models: {', '.join(wrong)}."}
            )
        return attrs


class ManualReportSerializer(serializers.ModelSerializer):
    manufacturer = serializers.CharField(source="manufacturer.name")
    drafts = serializers.SerializerMethodField()

    class Meta:
        model = Manual
        fields = [
            "id",
            "original_name",
            "kind",
            "manufacturer",
            "version",
            "uploaded_at",
            "status",
            "column_mapping",
            "drafts",
            "report",
        ]

    def get_drafts(self, manual) -> int:
        return manual.report.get("drafts", 0)
