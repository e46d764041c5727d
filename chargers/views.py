"""Charger pages that need nothing beyond the chargers app: the OCPP message log and remote actions."""

import json
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from chargers.commands import CommandError, send_command
from chargers.models import Charger, CommandStatus, Direction, MessageType, OcppMessage, OcppVersion

MESSAGES_PER_PAGE = 50


@dataclass(frozen=True)
class RemoteAction:
    """A one-click action offered on pages, and how it is phrased in each OCPP version."""

    key: str
    label: str
    action: str
    per_port: bool
    explanation: str


REMOTE_ACTIONS = {
    action.key: action
    for action in [
        RemoteAction("reset_soft", "Soft reset", "Reset", False, "Restart the charger's software."),
        RemoteAction("reset_hard", "Hard reset", "Reset", False, "Reboot the whole charger."),
        RemoteAction("unlock", "Unlock connector", "UnlockConnector", True, "Release a stuck plug."),
        RemoteAction(
            "make_inoperative", "Take out of service", "ChangeAvailability", True, "Stop drivers using it."
        ),
        RemoteAction("make_operative", "Put back in service", "ChangeAvailability", True, "Allow charging."),
        RemoteAction(
            "trigger_status",
            "Ask for its status",
            "TriggerMessage",
            True,
            "The charger reports its current status again.",
        ),
        RemoteAction(
            "resend_local_list",
            "Re-send local list",
            "SendLocalList",
            False,
            "Send the authorization list again in full.",
        ),
    ]
}


def command_payload(key: str, charger: Charger, evse_id: int | None, connector_id: int | None) -> dict:
    """The OCPP payload of a remote action for this charger's protocol version."""
    v201 = charger.ocpp_version == OcppVersion.V201
    evse_id = evse_id or 0
    connector_id = connector_id or evse_id
    if key == "reset_soft":
        return {"type": "OnIdle"} if v201 else {"type": "Soft"}
    if key == "reset_hard":
        return {"type": "Immediate"} if v201 else {"type": "Hard"}
    if key == "unlock":
        return {"evseId": evse_id, "connectorId": connector_id} if v201 else {"connectorId": connector_id}
    if key in {"make_inoperative", "make_operative"}:
        state = "Operative" if key == "make_operative" else "Inoperative"
        if v201:
            payload = {"operationalStatus": state}
            if evse_id:
                payload["evse"] = {"id": evse_id}
            return payload
        return {"connectorId": connector_id, "type": state}
    if key == "trigger_status":
        if v201:
            payload = {"requestedMessage": "StatusNotification"}
            if evse_id:
                payload["evse"] = {"id": evse_id, "connectorId": connector_id}
            return payload
        return {"requestedMessage": "StatusNotification", "connectorId": connector_id}
    if key == "resend_local_list":
        return local_list_payload(charger, v201)
    raise ValueError(f"{key!r} is not a remote action")


def keeps_local_list(charger: Charger) -> bool:
    return charger.site is not None and charger.site.use_local_authorization_list


def local_list_payload(charger: Charger, v201: bool) -> dict:
    """The site's whole local authorization list as a Full update (an empty one would wipe the charger's)."""
    if not keeps_local_list(charger):
        raise ValueError(f"{charger.charge_point_id}'s site keeps no local authorization list to send.")
    now = timezone.now()
    # A version that only grows: the charger compares it with the one it holds.
    version = int(now.timestamp())
    entries = []
    for entry in charger.site.local_authorizations.order_by("id_tag"):
        status = entry.status_at(now)
        if v201:
            info = {"status": status}
            if entry.expires_at:
                info["cacheExpiryDateTime"] = entry.expires_at.isoformat()
            entries.append({"idToken": {"idToken": entry.id_tag, "type": "Central"}, "idTokenInfo": info})
        else:
            info = {"status": status}
            if entry.expires_at:
                info["expiryDate"] = entry.expires_at.isoformat()
            entries.append({"idTag": entry.id_tag, "idTagInfo": info})
    if v201:
        return {"versionNumber": version, "updateType": "Full", "localAuthorizationList": entries}
    return {"listVersion": version, "updateType": "Full", "localAuthorizationList": entries}


class RemoteActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(key, action.label) for key, action in REMOTE_ACTIONS.items()])
    evse_id = forms.IntegerField(required=False, min_value=0)
    connector_id = forms.IntegerField(required=False, min_value=0)
    context = forms.CharField(required=False, max_length=100)
    next = forms.CharField(required=False, max_length=500)


def _safe_next(request, url: str, fallback: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return fallback


@require_POST
@permission_required("chargers.send_command", raise_exception=True)
def remote_action(request, charge_point_id):
    """Send one remote action to a charger, record who asked, and show the charger's answer."""
    charger = get_object_or_404(Charger.objects.select_related("site"), charge_point_id=charge_point_id)
    form = RemoteActionForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("That is not a remote action Faultline knows.")
    data = form.cleaned_data
    chosen = REMOTE_ACTIONS[data["action"]]
    fallback = reverse("faults:charger", args=[charger.charge_point_id])
    try:
        payload = command_payload(chosen.key, charger, data["evse_id"], data["connector_id"])
        command = send_command(charger, chosen.action, payload, request.user, data["context"] or "")
    except (CommandError, ValueError) as error:
        messages.error(request, f"{chosen.label} was not sent: {error}")
        return redirect(_safe_next(request, data["next"], fallback))
    answer = json.dumps(command.response, ensure_ascii=False) if command.response is not None else ""
    text = f"{chosen.label} on {charger.charge_point_id}: {command.get_status_display()}"
    level = messages.SUCCESS if command.status == CommandStatus.ANSWERED else messages.WARNING
    messages.add_message(request, level, f"{text}. Answer: {answer}" if answer else text)
    return redirect(_safe_next(request, data["next"], fallback))


class MessageFilters(forms.Form):
    action = forms.CharField(required=False, max_length=64)
    direction = forms.ChoiceField(required=False, choices=[("", "Both directions"), *Direction.choices])
    since = forms.DateTimeField(required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    until = forms.DateTimeField(required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    frame = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


def _pair_frames(page_messages: list[OcppMessage], charger: Charger) -> dict[int, OcppMessage]:
    """For each frame on the page, the frame that answers it or that it answers (same unique id)."""
    unique_ids = {message.unique_id for message in page_messages if message.unique_id}
    partners: dict[int, OcppMessage] = {}
    if not unique_ids:
        return partners
    candidates = OcppMessage.objects.filter(charger=charger, unique_id__in=unique_ids).order_by(
        "received_at", "id"
    )
    by_unique_id: dict[str, list[OcppMessage]] = {}
    for candidate in candidates:
        by_unique_id.setdefault(candidate.unique_id, []).append(candidate)
    for message in page_messages:
        for candidate in by_unique_id.get(message.unique_id, []):
            is_answer_pair = {message.message_type, candidate.message_type} & {MessageType.CALL} and (
                message.message_type != candidate.message_type
            )
            if candidate.pk != message.pk and candidate.direction != message.direction and is_answer_pair:
                partners[message.pk] = candidate
                break
    return partners


@permission_required("chargers.view_ocppmessage", raise_exception=True)
def message_log(request, charge_point_id):
    """Every frame a charger exchanged, newest first, filtered, paginated, requests paired with answers."""
    charger = get_object_or_404(Charger.objects.select_related("site"), charge_point_id=charge_point_id)
    form = MessageFilters(request.GET or None)
    frames = OcppMessage.objects.filter(charger=charger)
    highlighted = None
    if form.is_valid():
        data = form.cleaned_data
        if data["frame"]:
            highlighted = OcppMessage.objects.filter(charger=charger, pk=data["frame"]).first()
            if highlighted is not None and highlighted.unique_id:
                frames = frames.filter(unique_id=highlighted.unique_id)
            elif highlighted is not None:
                frames = frames.filter(pk=highlighted.pk)
        if data["action"]:
            frames = frames.filter(action__iexact=data["action"].strip())
        if data["direction"]:
            frames = frames.filter(direction=data["direction"])
        if data["since"]:
            frames = frames.filter(received_at__gte=data["since"])
        if data["until"]:
            frames = frames.filter(received_at__lte=data["until"])
    page = Paginator(frames.order_by("-received_at", "-id"), MESSAGES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    page_messages = list(page.object_list)
    partners = _pair_frames(page_messages, charger)
    rows = [{"message": message, "partner": partners.get(message.pk)} for message in page_messages]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "charger": charger,
        "form": form,
        "page": page,
        "rows": rows,
        "highlighted": highlighted,
        "query": query.urlencode(),
        "actions": COMMON_ACTIONS,
    }
    return render(request, "chargers/message_log.html", context)


# Offered in the action filter; any other action name can still be typed.
COMMON_ACTIONS = [
    "Authorize",
    "BootNotification",
    "ChangeAvailability",
    "DataTransfer",
    "Heartbeat",
    "MeterValues",
    "NotifyEvent",
    "Reset",
    "SendLocalList",
    "StartTransaction",
    "StatusNotification",
    "StopTransaction",
    "TransactionEvent",
    "TriggerMessage",
    "UnlockConnector",
]
