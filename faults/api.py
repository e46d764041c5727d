"""The faults API: episodes with their filters, phantom rules, and the charger detail's summary."""

from datetime import UTC, datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from chargers.api import ChargerViewSet
from chargers.models import Site
from faults.models import AlertContact, EpisodeKind, FaultEpisode, PhantomRule
from faults.summary import charger_summary
from knowledgebase.vocabulary import Responsible


class FaultEpisodeSerializer(serializers.ModelSerializer):
    charge_point_id = serializers.CharField(source="charger.charge_point_id")
    evse_id = serializers.IntegerField(source="connector.evse_id")
    connector_id = serializers.IntegerField(source="connector.connector_id")
    playbook = serializers.SerializerMethodField()
    knowledge_entry = serializers.IntegerField(source="knowledge_entry_id", allow_null=True)
    incident = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = FaultEpisode
        fields = [
            "id",
            "charge_point_id",
            "evse_id",
            "connector_id",
            "kind",
            "opened_at",
            "closed_at",
            "status",
            "error_code",
            "vendor_id",
            "vendor_error_code",
            "info",
            "category",
            "severity",
            "responsible",
            "escalation_responsible",
            "meaning",
            "next_action",
            "playbook",
            "is_phantom",
            "phantom_reason",
            "phantom_evidence",
            "knowledge_entry",
            "matched_by",
            "match_reason",
            "incident",
            "escalated",
            "vehicle_suspected",
            "correlation_note",
        ]
        read_only_fields = fields

    def get_playbook(self, episode) -> dict | None:
        if episode.playbook_id is None:
            return None
        return {"id": episode.playbook_id, "name": episode.playbook_name}


def _boolean(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"true", "1", "yes"}:
        return True
    if value in {"false", "0", "no"}:
        return False
    raise ValidationError({name: f"{raw!r} is not true or false."})


def _moment(name: str, raw: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw.strip().replace(" ", "+"))
    except ValueError:
        raise ValidationError(
            {name: f"{raw!r} is not an ISO 8601 date-time, e.g. 2026-11-21T06:00:00Z."}
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def filter_episodes(queryset, params):
    """Apply the API's filters; a bad value raises a 400 naming the parameter and what is accepted."""
    if "state" in params:
        state = params["state"]
        if state not in {"open", "closed"}:
            raise ValidationError({"state": f"{state!r} is not open or closed."})
        queryset = queryset.filter(closed_at__isnull=state == "open")
    if "phantom" in params:
        queryset = queryset.filter(is_phantom=_boolean("phantom", params["phantom"]))
    if "kind" in params:
        if params["kind"] not in EpisodeKind.values:
            raise ValidationError(
                {"kind": f"{params['kind']!r} is not one of {', '.join(EpisodeKind.values)}."}
            )
        queryset = queryset.filter(kind=params["kind"])
    if "site" in params:
        site = params["site"]
        queryset = queryset.filter(
            Q(charger__site_id=int(site)) if site.isdigit() else Q(charger__site__name=site)
        )
    if "charger" in params:
        queryset = queryset.filter(charger__charge_point_id=params["charger"])
    if "category" in params:
        queryset = queryset.filter(category=params["category"])
    if "responsible" in params:
        if params["responsible"] not in Responsible.values:
            raise ValidationError(
                {"responsible": f"{params['responsible']!r} is not one of {', '.join(Responsible.values)}."}
            )
        queryset = queryset.filter(responsible=params["responsible"])
    since = _moment("since", params["since"]) if "since" in params else None
    until = _moment("until", params["until"]) if "until" in params else None
    if since and until and until < since:
        raise ValidationError({"until": "until comes before since."})
    if since:
        queryset = queryset.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=since))
    if until:
        queryset = queryset.filter(opened_at__lte=until)
    return queryset


class FaultEpisodeViewSet(viewsets.ReadOnlyModelViewSet):
    """Fault episodes, newest first. Filters: state, phantom, kind, site, charger, category,
    responsible, since, until (an episode matches when it overlaps [since, until])."""

    queryset = FaultEpisode.objects.select_related("charger", "connector")
    serializer_class = FaultEpisodeSerializer

    def get_queryset(self):
        return filter_episodes(super().get_queryset(), self.request.query_params)


class PhantomRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = PhantomRule
        fields = [
            "id",
            "name",
            "enabled",
            "vendor",
            "model",
            "firmware",
            "status",
            "error_code",
            "vendor_error_code",
            "info_pattern",
            "max_duration_seconds",
            "context",
            "note",
        ]

    def validate(self, attrs):
        rule = PhantomRule(**{**({} if self.instance is None else self.to_internal_copy()), **attrs})
        try:
            rule.clean()
        except DjangoValidationError as error:
            raise ValidationError(
                getattr(error, "message_dict", None) or {"non_field_errors": error.messages}
            ) from None
        return attrs

    def to_internal_copy(self) -> dict:
        return {name: getattr(self.instance, name) for name in self.Meta.fields if name != "id"}


class PhantomRuleViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Per-model phantom rules; one that would hide a safety fault is refused (400)."""

    queryset = PhantomRule.objects.all()
    serializer_class = PhantomRuleSerializer


class AlertContactSerializer(serializers.ModelSerializer):
    site = serializers.SlugRelatedField(slug_field="name", queryset=Site.objects.all())

    class Meta:
        model = AlertContact
        fields = ["id", "site", "name", "email", "webhook_url", "webhook_secret", "receives_digest", "active"]
        # The receiver needs the secret to check signatures; it is generated, never chosen.
        read_only_fields = ["webhook_secret"]

    def validate(self, attrs):
        merged = {
            **(
                {}
                if self.instance is None
                else {"email": self.instance.email, "webhook_url": self.instance.webhook_url}
            ),
            **attrs,
        }
        if not merged.get("email") and not merged.get("webhook_url"):
            raise ValidationError({"non_field_errors": ["Give an email address, a webhook URL, or both."]})
        return attrs


class AlertContactViewSet(viewsets.ModelViewSet):
    """Who hears about a site's faults (operators manage them; the webhook secret is generated)."""

    queryset = AlertContact.objects.select_related("site")
    serializer_class = AlertContactSerializer


class ChargerWithSummaryViewSet(ChargerViewSet):
    """The chargers API, with the plain-language `summary` of the charger's faults in its detail."""

    def retrieve(self, request, *args, **kwargs):
        charger = self.get_object()
        context = {**self.get_serializer_context(), "summary": charger_summary(charger)}
        serializer = self.get_serializer_class()(charger, context=context)
        return Response(serializer.data)
