"""The REST API under /api/v1/: each app contributes its viewsets here."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from chargers.api import ChargerCommandList, ChargerMessageList, SiteViewSet
from faults.api import (
    AlertContactViewSet,
    ChargerWithSummaryViewSet,
    FaultEpisodeViewSet,
    PhantomRuleViewSet,
)
from faults.uptime.api import ExclusionViewSet, UptimeViewSet
from knowledgebase.api import CodeEntryViewSet, ManualViewSet, PlaybookViewSet

router = DefaultRouter()
router.register("sites", SiteViewSet, basename="site")
# The faults app's subclass adds the plain-language summary (chargers never imports faults).
router.register("chargers", ChargerWithSummaryViewSet, basename="charger")
router.register("faults", FaultEpisodeViewSet, basename="fault")
router.register("phantom-rules", PhantomRuleViewSet, basename="phantom-rule")
router.register("alert-contacts", AlertContactViewSet, basename="alert-contact")
router.register("uptime", UptimeViewSet, basename="uptime")
router.register("exclusions", ExclusionViewSet, basename="exclusion")
router.register("knowledgebase/codes", CodeEntryViewSet, basename="kb-code")
router.register("knowledgebase/playbooks", PlaybookViewSet, basename="kb-playbook")
router.register("knowledgebase/manuals", ManualViewSet, basename="kb-manual")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("chargers/<str:charge_point_id>/messages/", ChargerMessageList.as_view(), name="charger-messages"),
    path("chargers/<str:charge_point_id>/commands/", ChargerCommandList.as_view(), name="charger-commands"),
    path("", include(router.urls)),
]
