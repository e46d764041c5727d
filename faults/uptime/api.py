"""REST API: `uptime/` figures and CSV exports, `exclusions/` excluded downtime."""

import csv
import io
from datetime import date, timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from chargers.models import Charger, Connector, Site
from faults.models import Exclusion, ExclusionAudit
from faults.uptime.exclusions import change_exclusion, record_exclusion, withdraw_exclusion
from faults.uptime.exports import federal_quarterly_csv, outage_list_csv
from faults.uptime.reports import Method, aggregate, month_start, nevi_window, port_figures
from knowledgebase.vocabulary import ExclusionReason

AGGREGATION_NOTE = (
    "Charger and site figures add up their ports' minutes and compute uptime_percent from those sums; "
    "they are not means of port percentages."
)
# Longest range one request may cover (a NEVI window is twelve months; this leaves room for more).
MAX_DAYS = 3 * 366


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, str | bytes):
            return data
        # Errors asked for as CSV: one "field,message" line per problem.
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["field", "message"])
        for name, messages in (data or {}).items():
            for message in messages if isinstance(messages, list) else [messages]:
                writer.writerow([name, message])
        return out.getvalue()


# --- Query parameters -------------------------------------------------------------------------


class ScopeQuery(serializers.Serializer):
    """Which ports: a site (by name), a charger (by charge point id), or every port."""

    site = serializers.CharField(required=False)
    charger = serializers.CharField(required=False)
    filtered = serializers.BooleanField(
        default=True, help_text="true (default): phantom episodes are not outage; false: the raw figure."
    )

    def validate_site(self, value):
        site = Site.objects.filter(name=value).first()
        if site is None:
            raise serializers.ValidationError(f"No site is named {value!r}.")
        return site

    def validate_charger(self, value):
        charger = Charger.objects.filter(charge_point_id=value).first()
        if charger is None:
            raise serializers.ValidationError(f"No charger has the id {value!r}.")
        return charger

    def connectors(self):
        connectors = Connector.objects.all()
        if "site" in self.validated_data:
            connectors = connectors.filter(charger__site=self.validated_data["site"])
        if "charger" in self.validated_data:
            connectors = connectors.filter(charger=self.validated_data["charger"])
        return connectors


class UptimeQuery(ScopeQuery):
    method = serializers.ChoiceField(choices=Method.choices, default=Method.PERIOD)
    start = serializers.DateField(required=False, help_text="First local day (period, strict).")
    end = serializers.DateField(required=False, help_text="Last local day, inclusive (period, strict).")
    month = serializers.RegexField(
        r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        help_text="nevi: the last month of the twelve-month window, YYYY-MM (default: last month).",
        error_messages={"invalid": "Give the month as YYYY-MM, e.g. 2026-04."},
    )

    def validate(self, data):
        today = timezone.now().date()
        if data["method"] == Method.NEVI:
            if "start" in data or "end" in data:
                raise serializers.ValidationError(
                    {
                        "method": "nevi covers the twelve months ending with `month` (YYYY-MM): "
                        "leave out start and end."
                    }
                )
            if "month" in data:
                year, number = data["month"].split("-")
                month = date(int(year), int(number), 1)
            else:
                month = month_start(today) - timedelta(days=1)
            data["first"], data["last"] = nevi_window(month)
            return data
        if "month" in data:
            raise serializers.ValidationError({"month": "month is for method=nevi; use start and end."})
        data["last"] = data.get("end", today - timedelta(days=1))
        data["first"] = data.get("start", data["last"] - timedelta(days=29))
        if data["first"] > data["last"]:
            raise serializers.ValidationError({"end": "end must not be before start."})
        if (data["last"] - data["first"]).days >= MAX_DAYS:
            raise serializers.ValidationError({"end": f"A request covers at most {MAX_DAYS} days."})
        return data


class QuarterQuery(ScopeQuery):
    year = serializers.IntegerField(min_value=2000, max_value=2200)
    quarter = serializers.IntegerField(min_value=1, max_value=4)


class OutageQuery(ScopeQuery):
    start = serializers.DateField()
    end = serializers.DateField(help_text="Last local day, inclusive.")

    def validate(self, data):
        if data["start"] > data["end"]:
            raise serializers.ValidationError({"end": "end must not be before start."})
        if (data["end"] - data["start"]).days >= MAX_DAYS:
            raise serializers.ValidationError({"end": f"A request covers at most {MAX_DAYS} days."})
        return data


def parse(query_class, request):
    allowed = set(query_class().fields) | {"format"}
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise ValidationError(
            {
                name: [f"Unknown parameter; use one of: {', '.join(sorted(allowed - {'format'}))}."]
                for name in unknown
            }
        )
    # A plain dict: DRF reads a missing boolean in a QueryDict as an unticked checkbox (false).
    query = query_class(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return query


# --- uptime/ ----------------------------------------------------------------------------------


class FiguresSerializer(serializers.Serializer):
    period_minutes = serializers.IntegerField()
    outage_minutes = serializers.IntegerField()
    excluded_minutes = serializers.IntegerField()
    uptime_percent = serializers.FloatField(allow_null=True, help_text="Null when the period is empty.")


class PortFiguresSerializer(FiguresSerializer):
    charge_point_id = serializers.CharField()
    evse_id = serializers.IntegerField()
    connector_id = serializers.IntegerField()


class ChargerFiguresSerializer(FiguresSerializer):
    charge_point_id = serializers.CharField()
    site = serializers.CharField(allow_null=True)


class SiteFiguresSerializer(FiguresSerializer):
    site = serializers.CharField(allow_null=True)


class UptimeReportSerializer(serializers.Serializer):
    """The shape of an uptime/ answer (documentation only)."""

    method = serializers.ChoiceField(choices=Method.choices)
    filtered = serializers.BooleanField()
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    aggregation = serializers.CharField()
    ports = PortFiguresSerializer(many=True)
    chargers = ChargerFiguresSerializer(many=True, help_text="Sums of their ports' minutes.")
    sites = SiteFiguresSerializer(many=True, help_text="Sums of their ports' minutes.")


def _port_entry(port, figures) -> dict:
    return {
        "charge_point_id": port.charge_point_id,
        "evse_id": port.evse_id,
        "connector_id": port.connector_id,
        **figures.as_dict(),
    }


class UptimeViewSet(viewsets.ViewSet):
    """Uptime per port from the daily rollups, with charger and site aggregates (sums of port
    minutes, not means of percentages), and the CSV exports."""

    required_permissions = {"GET": ["faults.view_portdayrollup"]}
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(parameters=[UptimeQuery], responses=UptimeReportSerializer)
    def list(self, request):
        query = parse(UptimeQuery, request)
        data = query.validated_data
        rows = port_figures(
            query.connectors(), data["first"], data["last"], method=data["method"], filtered=data["filtered"]
        )
        by_charger, by_site = aggregate(rows)
        chargers = {port.charger_id: port for port, _ in rows}
        site_names = {port.site_id: port.site_name for port, _ in rows}
        return Response(
            {
                "method": data["method"],
                "filtered": data["filtered"],
                "first_day": data["first"],
                "last_day": data["last"],
                "aggregation": AGGREGATION_NOTE,
                "ports": [_port_entry(port, figures) for port, figures in rows],
                "chargers": [
                    {
                        "charge_point_id": chargers[charger_id].charge_point_id,
                        "site": chargers[charger_id].site_name,
                        **figures.as_dict(),
                    }
                    for charger_id, figures in by_charger.items()
                ],
                "sites": [
                    {"site": site_names[site_id], **figures.as_dict()} for site_id, figures in by_site.items()
                ],
            }
        )

    @extend_schema(parameters=[QuarterQuery], responses={(200, "text/csv"): str})
    @action(detail=False, url_path="federal-quarterly")
    def federal_quarterly(self, request):
        """Federal quarterly layout: per port, for each month of the quarter, the NEVI figure over the
        twelve months ending with that month, with that window's outage and excluded minutes."""
        query = parse(QuarterQuery, request)
        data = query.validated_data
        text = federal_quarterly_csv(
            query.connectors(), data["year"], data["quarter"], filtered=data["filtered"]
        )
        return _csv_response(text, f"uptime-{data['year']}-Q{data['quarter']}.csv")

    @extend_schema(parameters=[OutageQuery], responses={(200, "text/csv"): str})
    @action(detail=False, url_path="outages")
    def outages(self, request):
        """Every outage over local days start..end: id, port, start, end, minutes, cause, exempted."""
        query = parse(OutageQuery, request)
        data = query.validated_data
        text = outage_list_csv(query.connectors(), data["start"], data["end"], filtered=data["filtered"])
        return _csv_response(text, f"outages-{data['start']}-{data['end']}.csv")


def _csv_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- exclusions/ ------------------------------------------------------------------------------


class ExclusionSerializer(serializers.ModelSerializer):
    site = serializers.CharField(required=False, help_text="A whole site, by name (instead of a charger).")
    charge_point_id = serializers.CharField(required=False)
    evse_id = serializers.IntegerField(required=False, min_value=0)
    connector_id = serializers.IntegerField(
        required=False, min_value=0, help_text="Leave out (or 0) for the whole charger."
    )
    reason = serializers.ChoiceField(choices=ExclusionReason.choices)
    entered_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Exclusion
        fields = [
            "id",
            "site",
            "charge_point_id",
            "evse_id",
            "connector_id",
            "start",
            "end",
            "reason",
            "note",
            "entered_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "entered_by", "created_at", "updated_at"]

    def to_representation(self, exclusion):
        charger = exclusion.connector.charger if exclusion.connector_id else exclusion.charger
        site = charger.site if charger else exclusion.site
        return {
            "id": exclusion.id,
            "site": site.name if site else None,
            "scope": "port" if exclusion.connector_id else "charger" if exclusion.charger_id else "site",
            "charge_point_id": charger.charge_point_id if charger else None,
            "evse_id": exclusion.connector.evse_id if exclusion.connector_id else None,
            "connector_id": exclusion.connector.connector_id if exclusion.connector_id else None,
            "start": serializers.DateTimeField().to_representation(exclusion.start),
            "end": serializers.DateTimeField().to_representation(exclusion.end),
            "reason": exclusion.reason,
            "note": exclusion.note,
            "entered_by": exclusion.entered_by.username if exclusion.entered_by else None,
            "created_at": serializers.DateTimeField().to_representation(exclusion.created_at),
            "updated_at": serializers.DateTimeField().to_representation(exclusion.updated_at),
        }

    def validate(self, data):
        if self.instance is not None:
            fixed = {"site", "charge_point_id", "evse_id", "connector_id"} & set(self.initial_data)
            if fixed:
                raise serializers.ValidationError(
                    {
                        name: "The scope of an exclusion cannot change; withdraw it and record a new one."
                        for name in fixed
                    }
                )
            start, end = data.get("start", self.instance.start), data.get("end", self.instance.end)
            if end <= start:
                raise serializers.ValidationError({"end": "end must be after start."})
            return data
        if ("site" in data) == ("charge_point_id" in data):
            raise serializers.ValidationError(
                {"charge_point_id": "Give either charge_point_id (a charger or one of its ports) or site."}
            )
        if "site" in data:
            if "connector_id" in data or "evse_id" in data:
                raise serializers.ValidationError({"connector_id": "A site-wide exclusion names no port."})
            data["scope"] = {"site": self._site(data.pop("site"))}
        else:
            data["scope"] = self._charger_scope(data)
        if data["end"] <= data["start"]:
            raise serializers.ValidationError({"end": "end must be after start."})
        return data

    def _site(self, name):
        site = Site.objects.filter(name=name).first()
        if site is None:
            raise serializers.ValidationError({"site": f"No site is named {name!r}."})
        return site

    def _charger_scope(self, data):
        charge_point_id = data.pop("charge_point_id")
        charger = Charger.objects.filter(charge_point_id=charge_point_id).first()
        if charger is None:
            raise serializers.ValidationError(
                {"charge_point_id": f"No charger has the id {charge_point_id!r}."}
            )
        number = data.pop("connector_id", None)
        evse = data.pop("evse_id", None)
        if not number:
            return {"charger": charger}
        candidates = list(charger.connectors.filter(connector_id=number, evse_id__gt=0))
        if evse is not None:
            candidates = [c for c in candidates if c.evse_id == evse]
        if not candidates:
            raise serializers.ValidationError(
                {"connector_id": f"{charge_point_id} has no connector {number}."}
            )
        if len(candidates) > 1:
            raise serializers.ValidationError(
                {"evse_id": f"{charge_point_id} has connector {number} on several EVSEs: give evse_id."}
            )
        return {"connector": candidates[0]}


class ExclusionViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Excluded downtime: list (filter `site`, `charger`), record `{charge_point_id, connector_id?,
    start, end, reason, note}` or `{site, start, end, reason, note}`, change dates, reason or note,
    withdraw. Every change is audited (`exclusions/<id>/audit/`)."""

    serializer_class = ExclusionSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        queryset = Exclusion.objects.select_related(
            "site", "charger__site", "connector__charger__site", "entered_by"
        ).order_by("-start", "-id")
        site = self.request.query_params.get("site")
        charger = self.request.query_params.get("charger")
        if site:
            queryset = queryset.filter(
                Q(site__name=site) | Q(charger__site__name=site) | Q(connector__charger__site__name=site)
            )
        if charger:
            queryset = queryset.filter(
                Q(charger__charge_point_id=charger) | Q(connector__charger__charge_point_id=charger)
            )
        return queryset

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        scope = data.pop("scope")
        try:
            serializer.instance = record_exclusion(by=self.request.user, **scope, **data)
        except DjangoValidationError as error:
            raise ValidationError({"non_field_errors": error.messages}) from None

    def perform_update(self, serializer):
        try:
            serializer.instance = change_exclusion(
                serializer.instance, by=self.request.user, **serializer.validated_data
            )
        except DjangoValidationError as error:
            raise ValidationError({"non_field_errors": error.messages}) from None

    def perform_destroy(self, instance):
        withdraw_exclusion(instance, by=self.request.user)

    @extend_schema(
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
        responses={200: serializers.ListSerializer(child=serializers.DictField())},
    )
    @action(detail=True, url_path="audit")
    def audit(self, request, pk=None):
        """Who changed this exclusion, when, and each field's old and new value."""
        exclusion = self.get_object()
        trail = ExclusionAudit.objects.filter(exclusion_number=exclusion.pk).select_related("changed_by")
        return Response(
            [
                {
                    "action": row.action,
                    "changed_by": row.changed_by.username if row.changed_by else None,
                    "changed_at": row.changed_at,
                    "changes": row.changes,
                }
                for row in trail
            ]
        )
