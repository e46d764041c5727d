from rest_framework import mixins, viewsets

from chargers.models import Charger, Site
from chargers.serializers import ChargerDetailSerializer, ChargerSerializer, SiteSerializer


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

    queryset = Charger.objects.select_related("site")
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
