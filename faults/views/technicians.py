"""Technicians: the faults that need someone on site, nearest first, and a playbook run per fault."""

import math

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from faults import actions
from faults.models import FaultEpisode, PlaybookRun, PlaybookRunStep, RunOutcome, SitePhoto
from faults.models.playbook_run import finish_run, mark_step, start_playbook_run
from faults.views.uploads import photo_content_type
from knowledgebase.vocabulary import Responsible

ON_SITE = [Responsible.SITE_STAFF, Responsible.ELECTRICIAN, Responsible.VENDOR_SERVICE]
MY_WORK_LIMIT = 300


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine): good enough to sort sites by how far a van must drive."""
    earth_radius_km = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * earth_radius_km * math.asin(math.sqrt(a))


class Position(forms.Form):
    lat = forms.FloatField(min_value=-90, max_value=90)
    lon = forms.FloatField(min_value=-180, max_value=180)


@permission_required("faults.view_faultepisode", raise_exception=True)
def my_work(request):
    """Open, real faults that need site staff, an electrician or vendor service, nearest site first."""
    position = Position(request.GET) if "lat" in request.GET else None
    here = (
        (position.cleaned_data["lat"], position.cleaned_data["lon"])
        if position and position.is_valid()
        else None
    )
    episodes = list(
        FaultEpisode.objects.filter(closed_at__isnull=True, is_phantom=False, responsible__in=ON_SITE)
        .select_related("charger__site", "connector")
        .order_by("charger__site__name", "opened_at", "id")[:MY_WORK_LIMIT]
    )
    for episode in episodes:
        site = episode.charger.site
        episode.distance_km = (
            distance_km(here[0], here[1], float(site.latitude), float(site.longitude))
            if here and site is not None and site.latitude is not None and site.longitude is not None
            else None
        )
    if here:
        # Sites without coordinates go last rather than pretending to be next door.
        episodes.sort(key=lambda e: (e.distance_km is None, e.distance_km or 0.0))
    context = {"episodes": episodes, "here": here, "position_error": position is not None and here is None}
    return render(request, "faults/my_work.html", context)


def playbook_steps_for(episode: FaultEpisode) -> tuple[str, list[dict]]:
    """The playbook name and steps a run copies; without a playbook, the translation's next action."""
    playbook_id = getattr(episode, "playbook_id", None)
    if playbook_id:
        from knowledgebase.models import Playbook

        playbook = Playbook.objects.filter(pk=playbook_id).prefetch_related("steps").first()
        if playbook is not None:
            steps = [
                {
                    "title": step.title,
                    "instructions": "\n".join(
                        part
                        for part in [step.instructions, f"Tools: {step.tools}" if step.tools else ""]
                        if part
                    ),
                    "safety_note": step.safety_note,
                    "is_safety": bool(step.safety_note.strip()),
                    "performer": step.role,
                }
                for step in playbook.steps.all()
            ]
            if playbook.escalation:
                steps.append(
                    {
                        "title": "If it is still not fixed: escalate",
                        "instructions": playbook.escalation,
                        "performer": playbook.escalation_responsible,
                    }
                )
            return playbook.name, steps
    next_action = episode.next_action or "Inspect the port and record what you find."
    return "", [{"title": next_action, "performer": episode.responsible}]


@require_POST
@permission_required("faults.add_playbookrun", raise_exception=True)
def start_run(request, pk):
    """Start (or resume) the technician's playbook run on a fault."""
    episode = get_object_or_404(FaultEpisode, pk=pk)
    run = episode.playbook_runs.filter(started_by=request.user, outcome=RunOutcome.IN_PROGRESS).first()
    if run is None:
        name, steps = playbook_steps_for(episode)
        run = start_playbook_run(episode, request.user, name, steps)
    return redirect("faults:run", run.pk)


@permission_required("faults.view_playbookrun", raise_exception=True)
def run_detail(request, pk):
    """The checklist on a phone: safety steps first, the port's live status, notes, photos, outcome."""
    run = get_object_or_404(
        PlaybookRun.objects.select_related("episode__charger__site", "episode__connector", "started_by"),
        pk=pk,
    )
    steps = sorted(run.steps.all(), key=lambda step: (not step.is_safety, step.position))
    context = {
        "run": run,
        "episode": run.episode,
        "charger": run.episode.charger,
        "safety_steps": [step for step in steps if step.is_safety],
        "other_steps": [step for step in steps if not step.is_safety],
        "photos": run.photos.all(),
        "outcomes": [choice for choice in RunOutcome.choices if choice[0] != RunOutcome.IN_PROGRESS],
        "can_edit": request.user.has_perm("faults.change_playbookrun") and not run.is_finished,
        "can_upload": request.user.has_perm("faults.add_sitephoto") and not run.is_finished,
    }
    return render(request, "faults/run.html", context)


@require_POST
@permission_required("faults.change_playbookrunstep", raise_exception=True)
def run_step(request, pk, step_pk):
    step = get_object_or_404(PlaybookRunStep.objects.select_related("run"), pk=step_pk, run_id=pk)
    try:
        mark_step(step, request.user, done=request.POST.get("done") == "1")
    except ValueError as error:
        messages.error(request, str(error))
    return redirect(f"{step.run.get_absolute_url()}#step-{step.pk}")


@require_POST
@permission_required("faults.change_playbookrun", raise_exception=True)
def run_finish(request, pk):
    run = get_object_or_404(PlaybookRun.objects.select_related("episode"), pk=pk)
    try:
        with transaction.atomic():
            finish_run(run, request.POST.get("outcome", ""), request.POST.get("notes", "").strip()[:5000])
            if run.outcome == RunOutcome.ESCALATED and run.episode.is_open:
                # The playbook did not help: the fault moves to its next responder, on the board too.
                actions.escalate(
                    run.episode, note=f"Escalated by {request.user.get_username()} after the playbook."
                )
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Outcome recorded: {run.get_outcome_display()}.")
    return redirect(run.get_absolute_url())


@require_POST
@permission_required("faults.add_sitephoto", raise_exception=True)
def run_photo(request, pk):
    run = get_object_or_404(PlaybookRun, pk=pk)
    upload = request.FILES.get("photo")
    if run.is_finished:
        messages.error(request, "This run is finished: add photos to a new run.")
    elif upload is None:
        messages.error(request, "Choose a photo to upload.")
    else:
        try:
            content_type = photo_content_type(upload)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            photo = SitePhoto(
                run=run,
                content_type=content_type,
                caption=request.POST.get("caption", "").strip()[:200],
                uploaded_by=request.user,
            )
            photo.image.save(upload.name, upload, save=False)
            photo.save()
            messages.success(request, "Photo added.")
    return redirect(run.get_absolute_url())


@permission_required("faults.view_sitephoto", raise_exception=True)
def photo_file(request, pk):
    """A site photo, served only to signed-in users who may see it, with its detected type."""
    photo = get_object_or_404(SitePhoto, pk=pk)
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
