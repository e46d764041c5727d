"""The phantom-rule editor: write a rule, see what it would have changed in the last 30 days, then save."""

from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from faults.models import EpisodeKind, FaultEpisode, PhantomRule
from faults.phantom import is_safety, model_quirk
from knowledgebase.vocabulary import PhantomReason

PREVIEW_DAYS = 30
# The preview reads evidence per episode; past this many candidates it says so instead of crawling.
PREVIEW_LIMIT = 500


class PhantomRuleForm(forms.ModelForm):
    class Meta:
        model = PhantomRule
        fields = [
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
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}


@dataclass
class PreviewRow:
    episode: FaultEpisode
    change: str  # "phantom", "real_again", "kept_safety", "already_phantom"


@dataclass
class Preview:
    rows: list[PreviewRow]
    examined: int
    truncated: bool

    def count(self, change: str) -> int:
        return sum(1 for row in self.rows if row.change == change)

    @property
    def would_hide(self) -> int:
        return self.count("phantom")

    @property
    def would_restore(self) -> int:
        return self.count("real_again")

    @property
    def safety_kept(self) -> int:
        return self.count("kept_safety")


def preview_rule(rule: PhantomRule, *, now=None) -> Preview:
    """What `rule` (saved or not) would have changed among the last 30 days' fault episodes. Read-only."""
    now = now or timezone.now()
    since = now - timedelta(days=PREVIEW_DAYS)
    candidates = FaultEpisode.objects.filter(kind=EpisodeKind.FAULT, opened_at__gte=since).select_related(
        "charger", "connector"
    )
    if rule.status:
        candidates = candidates.filter(status=rule.status)
    if rule.error_code:
        candidates = candidates.filter(error_code=rule.error_code)
    candidates = list(candidates.order_by("-opened_at")[: PREVIEW_LIMIT + 1])
    truncated = len(candidates) > PREVIEW_LIMIT
    rows = []
    for episode in candidates[:PREVIEW_LIMIT]:
        decided_by_this_rule = (
            rule.pk is not None
            and episode.phantom_reason == PhantomReason.MODEL_QUIRK
            and (episode.phantom_evidence or {}).get("rule_id") == rule.pk
        )
        matches = model_quirk(episode, [rule]) is not None if rule.enabled else False
        if matches and is_safety(episode):
            rows.append(PreviewRow(episode, "kept_safety"))
        elif matches and not episode.is_phantom:
            rows.append(PreviewRow(episode, "phantom"))
        elif matches:
            rows.append(PreviewRow(episode, "already_phantom"))
        elif decided_by_this_rule:
            rows.append(PreviewRow(episode, "real_again"))
    return Preview(rows, min(len(candidates), PREVIEW_LIMIT), truncated)


@permission_required("faults.view_phantomrule", raise_exception=True)
def rule_list(request):
    """Every phantom rule, per manufacturer and model."""
    rules = PhantomRule.objects.all()
    return render(request, "faults/phantom_rules.html", {"rules": rules})


@permission_required("faults.view_phantomrule", raise_exception=True)
def rule_edit(request, pk=None):
    """Edit or create a rule; "Preview" shows its effect on the last 30 days, "Save" stores it."""
    rule = get_object_or_404(PhantomRule, pk=pk) if pk else PhantomRule()
    preview = None
    if request.method == "POST":
        needed = "faults.change_phantomrule" if pk else "faults.add_phantomrule"
        if not request.user.has_perm(needed):
            raise PermissionDenied
        form = PhantomRuleForm(request.POST, instance=rule)
        # ModelForm validation runs the model's clean(): a rule that would hide a safety fault is refused.
        if form.is_valid():
            if "save" in request.POST:
                saved = form.save()
                messages.success(request, f"Rule “{saved.name}” saved.")
                return redirect("faults:phantom_rules")
            preview = preview_rule(form.instance)
    else:
        form = PhantomRuleForm(instance=rule)
    context = {
        "form": form,
        "rule": rule,
        "preview": preview,
        "preview_days": PREVIEW_DAYS,
        "can_save": request.user.has_perm("faults.change_phantomrule" if pk else "faults.add_phantomrule"),
    }
    return render(request, "faults/phantom_rule_form.html", context)
