from django.db.models import BooleanField, ExpressionWrapper, Q
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime
from rest_framework import generics, mixins, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from chargers.commands import CommandError, send_command
from chargers.models import Charger, Command, Direction, OcppMessage, Site
from chargers.serializers import (
    ChargerDetailSerializer,
    ChargerSerializer,
    CommandRequestSerializer,
    CommandSerializer,
    OcppMessageSerializer,
    SiteSerializer,
)
from config.pagination import Pagination


class SiteViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Sites: list, create `{name, timezone}`, detail."""

    queryset = Site.objects.all()
    serializer_class = SiteSerializer


class ChargerViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Chargers: list, register `{charge_point_id, site, password?}`, detail with its ports."""

    # `connected` feeds is_online(): a charger whose socket closed is offline at once.
    queryset = Charger.objects.select_related("site").annotate(
        connected=ExpressionWrapper(~Q(connection_channel=""), output_field=BooleanField())
    )
    serializer_class = ChargerSerializer
    lookup_field = "charge_point_id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("connectors")
        return queryset

    def get_serializer_class(self):
        return ChargerDetailSerializer if self.action == "retrieve" else ChargerSerializer


def _moment(request, name: str):
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    moment = parse_datetime(raw.replace(" ", "+"))
    if moment is None or moment.tzinfo is None:
        raise ValidationError(
            {name: f"{raw!r} is not a date-time with a time zone, e.g. 2026-11-21T06:00:00Z."}
        )
    return moment


class StrictPagination(Pagination):
    """A page that does not exist is a bad parameter (400), like every other filter here."""

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as error:
            raise ValidationError({"page": str(error.detail)}) from None


class ChargerMessageList(generics.ListAPIView):
    """A charger's OCPP message log, newest first; filters `action`, `direction`, `since`, `until`."""

    serializer_class = OcppMessageSerializer
    pagination_class = StrictPagination
    required_permissions = {"GET": ["chargers.view_ocppmessage"]}

    def get_queryset(self):
        charger = get_object_or_404(
            Charger.objects.only("id"), charge_point_id=self.kwargs["charge_point_id"]
        )
        params = self.request.query_params
        unknown = set(params) - {"action", "direction", "since", "until", "page", "page_size", "format"}
        if unknown:
            raise ValidationError({"detail": f"Unknown filter(s): {', '.join(sorted(unknown))}."})
        messages = OcppMessage.objects.filter(charger=charger).order_by("-received_at", "-id")
        if params.get("action"):
            messages = messages.filter(action=params["action"])
        direction = params.get("direction")
        if direction:
            if direction not in Direction.values:
                raise ValidationError(
                    {"direction": f"{direction!r} is not one of: {', '.join(Direction.values)}."}
                )
            messages = messages.filter(direction=direction)
        since, until = _moment(self.request, "since"), _moment(self.request, "until")
        if since and until and since > until:
            raise ValidationError({"since": "since must not be after until."})
        if since:
            messages = messages.filter(received_at__gte=since)
        if until:
            messages = messages.filter(received_at__lt=until)
        return messages


class ChargerCommandList(generics.ListAPIView):
    """GET: the commands sent to a charger. POST `{action, payload}`: send one and wait for its answer."""

    serializer_class = CommandSerializer
    required_permissions = {"GET": ["chargers.view_command"], "POST": ["chargers.send_command"]}

    def get_charger(self) -> Charger:
        return get_object_or_404(Charger, charge_point_id=self.kwargs["charge_point_id"])

    def get_queryset(self):
        return Command.objects.filter(charger=self.get_charger()).select_related("requested_by")

    def post(self, request, *args, **kwargs):
        charger = self.get_charger()
        request_serializer = CommandRequestSerializer(data=request.data)
        request_serializer.is_valid(raise_exception=True)
        data = request_serializer.validated_data
        try:
            command = send_command(charger, data["action"], data["payload"], request.user, data["context"])
        except CommandError as error:
            raise ValidationError({"detail": str(error)}) from None
        return Response(CommandSerializer(command).data, status=status.HTTP_201_CREATED)
