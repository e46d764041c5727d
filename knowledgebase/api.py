"""The knowledge base's REST API: code entries, playbooks, and manual upload with its import report."""

from django.db.models import Prefetch, Q
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from knowledgebase.importers import ImportRefused
from knowledgebase.importers.manuals import GUESS, start_import
from knowledgebase.models import CodeEntry, Manual, Playbook, PlaybookStep
from knowledgebase.serializers import (
    CodeEntrySerializer,
    ManualReportSerializer,
    ManualUploadSerializer,
    PlaybookSerializer,
)
from knowledgebase.vocabulary import EntryStatus


class CodeEntryViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Code entries. Filters: `scope`, `manufacturer` (id or name), `code`, `category`, `status`
    (default live), `q` (words in code or meaning). POST creates an entry (live unless status=draft)."""

    queryset = CodeEntry.objects.select_related("manufacturer", "charger_model", "playbook")
    serializer_class = CodeEntrySerializer

    def get_queryset(self):
        entries = super().get_queryset()
        if self.action != "list":
            return entries
        params = self.request.query_params
        entries = entries.filter(status=params.get("status") or EntryStatus.LIVE)
        if params.get("scope"):
            entries = entries.filter(scope=params["scope"])
        maker = params.get("manufacturer", "")
        if maker:
            entries = (
                entries.filter(manufacturer_id=int(maker))
                if maker.isdigit()
                else entries.filter(manufacturer__name__iexact=maker)
            )
        if params.get("code"):
            entries = entries.filter(code__iexact=params["code"])
        if params.get("category"):
            entries = entries.filter(category=params["category"])
        if params.get("q"):
            entries = entries.filter(Q(code__icontains=params["q"]) | Q(meaning__icontains=params["q"]))
        return entries


class PlaybookViewSet(viewsets.ReadOnlyModelViewSet):
    """Playbooks with their ordered steps."""

    queryset = Playbook.objects.prefetch_related(
        Prefetch("steps", queryset=PlaybookStep.objects.order_by("position"))
    )
    serializer_class = PlaybookSerializer
    lookup_field = "slug"


class ManualViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Upload a manual (multipart: file, manufacturer, charger_models, version, mapping) and get its
    import report: drafts created and what changed against the live entries. Nothing goes live until
    an admin approves the drafts."""

    queryset = Manual.objects.select_related("manufacturer")
    parser_classes = [MultiPartParser, FormParser]

    def get_serializer_class(self):
        return ManualUploadSerializer if self.action == "create" else ManualReportSerializer

    def create(self, request, *args, **kwargs):
        upload = ManualUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        try:
            manual = start_import(
                data["file"],
                manufacturer=data["manufacturer"],
                charger_models=data.get("charger_models", []),
                version=data.get("version", ""),
                user=request.user,
                mapping=data.get("mapping") or GUESS,
            )
        except ImportRefused as refused:
            return Response(
                {"file": [refused.message], "details": refused.details}, status=status.HTTP_400_BAD_REQUEST
            )
        return Response(ManualReportSerializer(manual).data, status=status.HTTP_201_CREATED)
