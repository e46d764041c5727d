"""The REST API under /api/v1/: each app contributes its viewsets here."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from chargers.api import ChargerViewSet, SiteViewSet
from faults.uptime.api import ExclusionViewSet, UptimeViewSet

router = DefaultRouter()
router.register("sites", SiteViewSet, basename="site")
router.register("chargers", ChargerViewSet, basename="charger")
router.register("uptime", UptimeViewSet, basename="uptime")
router.register("exclusions", ExclusionViewSet, basename="exclusion")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("", include(router.urls)),
]
