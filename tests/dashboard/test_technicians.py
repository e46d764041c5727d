"""Technicians: faults that need a visit, nearest first; a playbook run with checklist, photos, outcome."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from faults.models import PlaybookRun, RunOutcome, SitePhoto
from knowledgebase.models import Playbook, PlaybookStep
from knowledgebase.vocabulary import Responsible
from tests.dashboard.helpers import open_episode
from tests.factories import ChargerFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def on_site(name, lat, lon, **fields):
    site = SiteFactory(name=name, latitude=Decimal(lat), longitude=Decimal(lon))
    return open_episode(ChargerFactory(site=site), responsible=Responsible.SITE_STAFF, **fields)


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_my_work_lists_only_real_faults_that_need_someone_on_site(client, technician):
    client.force_login(technician)
    visit = on_site("Depot", "52.5", "13.4")
    remote = open_episode(responsible=Responsible.REMOTE_OPERATOR)
    phantom = on_site("Mall", "52.6", "13.5", is_phantom=True)
    html = client.get(reverse("faults:my_work")).content.decode()
    assert f'id="work-{visit.pk}"' in html
    assert f'id="work-{remote.pk}"' not in html
    assert f'id="work-{phantom.pk}"' not in html


def test_my_work_puts_the_nearest_site_first_from_the_technicians_position(client, technician):
    client.force_login(technician)
    munich = on_site("Munich", "48.137", "11.575")
    berlin = on_site("Berlin", "52.520", "13.405")
    hamburg = on_site("Hamburg", "53.551", "9.993")
    html = client.get(reverse("faults:my_work"), {"lat": "52.40", "lon": "13.06"}).content.decode()  # Potsdam
    order = sorted((html.index(f'id="work-{e.pk}"'), e.pk) for e in (munich, berlin, hamburg))
    assert [pk for _, pk in order] == [berlin.pk, hamburg.pk, munich.pk]
    assert " km" in html


def test_a_position_that_is_not_a_position_is_reported_and_the_list_still_shows(client, technician):
    client.force_login(technician)
    episode = on_site("Depot", "52.5", "13.4")
    html = client.get(reverse("faults:my_work"), {"lat": "north", "lon": "999"}).content.decode()
    assert "could not be read" in html
    assert f'id="work-{episode.pk}"' in html


def test_my_work_query_count_does_not_grow_with_rows(client, technician):
    client.force_login(technician)
    on_site("S0", "50", "10")
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("faults:my_work"), {"lat": "50", "lon": "10"})
    for i in range(12):
        on_site(f"S{i + 1}", "50.1", "10.1")
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("faults:my_work"), {"lat": "50", "lon": "10"}).content.decode()
    assert html.count('id="work-') == 13
    assert len(many) == len(few)


def test_a_run_copies_the_playbook_with_safety_steps_first(client, technician):
    client.force_login(technician)
    playbook = Playbook.objects.create(
        slug="gf", name="Ground-fault lock-out", escalation="Call an electrician."
    )
    PlaybookStep.objects.create(
        playbook=playbook, position=1, title="Look for damage", role=Responsible.SITE_STAFF
    )
    PlaybookStep.objects.create(
        playbook=playbook,
        position=2,
        title="Lock out the supply",
        safety_note="Never touch a tripped unit before isolating it.",
        role=Responsible.ELECTRICIAN,
    )
    episode = on_site("Depot", "52.5", "13.4", playbook_id=playbook.pk)
    response = client.post(reverse("faults:start_run", args=[episode.pk]))
    run = PlaybookRun.objects.get(episode=episode)
    assert response["Location"] == reverse("faults:run", args=[run.pk])
    assert run.playbook_name == "Ground-fault lock-out" and run.started_by == technician
    titles = list(run.steps.values_list("title", "is_safety"))
    assert titles == [
        ("Lock out the supply", True),
        ("Look for damage", False),
        ("If it is still not fixed: escalate", False),
    ]
    html = client.get(response["Location"]).content.decode()
    assert html.index("Safety first") < html.index("Look for damage")
    assert "Never touch a tripped unit before isolating it." in html


def test_starting_twice_resumes_the_same_run(client, technician):
    client.force_login(technician)
    episode = on_site("Depot", "52.5", "13.4")
    client.post(reverse("faults:start_run", args=[episode.pk]))
    client.post(reverse("faults:start_run", args=[episode.pk]))
    assert PlaybookRun.objects.filter(episode=episode).count() == 1
    assert PlaybookRun.objects.get().steps.get().title == episode.next_action


def test_a_technician_ticks_steps_and_records_the_outcome_with_notes(client, technician):
    client.force_login(technician)
    episode = on_site("Depot", "52.5", "13.4")
    client.post(reverse("faults:start_run", args=[episode.pk]))
    run = PlaybookRun.objects.get()
    step = run.steps.get()
    client.post(reverse("faults:run_step", args=[run.pk, step.pk]), {"done": "1"})
    step.refresh_from_db()
    assert step.done_at is not None and step.done_by == technician
    client.post(
        reverse("faults:run_finish", args=[run.pk]), {"outcome": "fixed", "notes": "Released the e-stop."}
    )
    run.refresh_from_db()
    assert (run.outcome, run.notes) == (RunOutcome.FIXED, "Released the e-stop.")
    assert run.finished_at is not None
    response = client.post(reverse("faults:run_step", args=[run.pk, step.pk]), {"done": "0"}, follow=True)
    step.refresh_from_db()
    assert step.done_at is not None
    assert "finished" in response.content.decode()


def test_an_outcome_that_is_not_one_is_refused(client, technician):
    client.force_login(technician)
    episode = on_site("Depot", "52.5", "13.4")
    client.post(reverse("faults:start_run", args=[episode.pk]))
    run = PlaybookRun.objects.get()
    client.post(reverse("faults:run_finish", args=[run.pk]), {"outcome": "in_progress"})
    run.refresh_from_db()
    assert run.outcome == RunOutcome.IN_PROGRESS and run.finished_at is None


def test_a_photo_is_accepted_by_its_content_and_served_only_to_signed_in_users(client, technician, media):
    client.force_login(technician)
    episode = on_site("Depot", "52.5", "13.4")
    client.post(reverse("faults:start_run", args=[episode.pk]))
    run = PlaybookRun.objects.get()
    upload = SimpleUploadedFile("IMG_0001.HEIC", png_bytes(), content_type="application/octet-stream")
    client.post(reverse("faults:run_photo", args=[run.pk]), {"photo": upload, "caption": "Cabinet"})
    photo = SitePhoto.objects.get()
    assert photo.content_type == "image/png" and photo.image.name.endswith(".png")
    assert photo.uploaded_by == technician
    served = client.get(reverse("faults:photo", args=[photo.pk]))
    assert served["Content-Type"] == "image/png"
    client.logout()
    assert client.get(reverse("faults:photo", args=[photo.pk])).status_code == 302


def test_a_file_that_is_not_a_photo_is_refused_whatever_its_name(client, technician, media):
    client.force_login(technician)
    episode = on_site("Depot", "52.5", "13.4")
    client.post(reverse("faults:start_run", args=[episode.pk]))
    run = PlaybookRun.objects.get()
    fake = SimpleUploadedFile(
        "photo.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg"
    )
    response = client.post(reverse("faults:run_photo", args=[run.pk]), {"photo": fake}, follow=True)
    assert "not a JPEG, PNG or WebP photo" in response.content.decode()
    assert not SitePhoto.objects.exists()
    assert not any(media.rglob("*.*"))


def test_an_oversized_photo_is_refused(client, technician, media, settings):
    settings.MAX_UPLOAD_BYTES = 2048
    client.force_login(technician)
    episode = on_site("Depot", "52.5", "13.4")
    client.post(reverse("faults:start_run", args=[episode.pk]))
    run = PlaybookRun.objects.get()
    big = SimpleUploadedFile("big.png", png_bytes() + b"\0" * 4096, content_type="image/png")
    response = client.post(reverse("faults:run_photo", args=[run.pk]), {"photo": big}, follow=True)
    assert "the limit is 2 KiB" in response.content.decode()
    assert not SitePhoto.objects.exists()


def test_an_escalated_run_hands_the_fault_to_its_next_responder(client, technician):
    client.force_login(technician)
    episode = on_site("Depot", "52.5", "13.4", escalation_responsible=Responsible.VENDOR_SERVICE)
    client.post(reverse("faults:start_run", args=[episode.pk]))
    run = PlaybookRun.objects.get()
    client.post(
        reverse("faults:run_finish", args=[run.pk]), {"outcome": "escalated", "notes": "Module dead."}
    )
    episode.refresh_from_db()
    assert episode.escalated is True
    assert episode.responsible == Responsible.VENDOR_SERVICE
    assert episode.changes.filter(action="escalated").exists()
