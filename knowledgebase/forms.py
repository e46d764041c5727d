"""Forms of the knowledge-base pages: upload, column mapping, and writing or editing an entry."""

from django import forms

from knowledgebase.importers.tabular import FIELDS, REQUIRED
from knowledgebase.models import ChargerModel, CodeEntry, Manufacturer, category_choices
from knowledgebase.vocabulary import EntryScope

FIELD_LABELS = {
    "code": "Code",
    "meaning": "Meaning",
    "next_action": "Next action",
    "category": "Category",
    "severity": "Severity",
    "responsible": "Who acts first",
    "model_name": "Charger model",
    "firmware_min": "Lowest firmware",
    "firmware_max": "Highest firmware",
    "text_pattern": "Text pattern",
    "page": "Manual page",
}


class ManualUploadForm(forms.Form):
    manufacturer = forms.ModelChoiceField(queryset=Manufacturer.objects.all())
    charger_models = forms.ModelMultipleChoiceField(
        queryset=ChargerModel.objects.select_related("manufacturer"),
        required=False,
        help_text="Leave empty when the manual covers all of the manufacturer's models.",
    )
    version = forms.CharField(max_length=50, required=False, help_text="The manual's version or date.")
    file = forms.FileField(help_text="PDF, XLSX or CSV. The content decides the type, not the name.")

    def clean(self):
        cleaned = super().clean()
        manufacturer = cleaned.get("manufacturer")
        for charger_model in cleaned.get("charger_models") or ():
            if manufacturer and charger_model.manufacturer_id != manufacturer.pk:
                self.add_error("charger_models", f"{charger_model} is not a {manufacturer} model.")
        return cleaned


class MappingForm(forms.Form):
    """One select per draft field: which column of the table fills it."""

    def __init__(self, *args, headers: list[str], initial_mapping: dict, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "— none —")] + [
            (str(i), header or f"Column {i + 1}") for i, header in enumerate(headers)
        ]
        for name in FIELDS:
            self.fields[name] = forms.ChoiceField(
                label=FIELD_LABELS[name],
                choices=choices,
                required=name in REQUIRED,
                initial=str(initial_mapping[name]) if name in initial_mapping else "",
            )

    def mapping(self) -> dict[str, int]:
        return {name: int(value) for name, value in self.cleaned_data.items() if value not in ("", None)}


class EntryForm(forms.ModelForm):
    """An admin writes or corrects an entry (a draft under review, or one for an unknown code)."""

    category = forms.ChoiceField(choices=())

    class Meta:
        model = CodeEntry
        fields = [
            "manufacturer",
            "charger_model",
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
            "charging_possible",
            "manual_page",
        ]
        widgets = {
            "meaning": forms.Textarea(attrs={"rows": 3}),
            "next_action": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        self.fields["manufacturer"].required = self.instance.scope == EntryScope.MANUFACTURER
        self.fields["charger_model"].queryset = ChargerModel.objects.select_related("manufacturer")
