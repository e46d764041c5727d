"""OEM manuals uploaded by admins, and what their import produced."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from knowledgebase.models.catalogue import ChargerModel, Manufacturer
from knowledgebase.vocabulary import ImportStatus, ManualKind


class Manual(models.Model):
    """An uploaded OEM error manual (PDF, CSV or XLSX) and the report of its import."""

    file = models.FileField(upload_to="manuals/%Y/%m/")
    original_name = models.CharField(max_length=255)
    kind = models.CharField(max_length=8, choices=ManualKind.choices)
    sha256 = models.CharField(max_length=64)
    manufacturer = models.ForeignKey(Manufacturer, on_delete=models.PROTECT, related_name="manuals")
    charger_models = models.ManyToManyField(ChargerModel, blank=True, related_name="manuals")
    version = models.CharField(max_length=50, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=ImportStatus.choices)
    column_mapping = models.JSONField(default=dict, blank=True)
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return f"{self.manufacturer} {self.version or self.original_name}"

    def get_absolute_url(self):
        if self.status == ImportStatus.AWAITING_MAPPING:
            return reverse("knowledgebase:manual_mapping", args=[self.pk])
        return reverse("knowledgebase:manual_review", args=[self.pk])
