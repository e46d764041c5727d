"""The Django admin: knowledge-base admins edit everything and approve drafts in bulk; others cannot."""

import pytest

from knowledgebase.models import CodeEntry, Manufacturer
from knowledgebase.translate import Report, translate
from knowledgebase.vocabulary import EntryStatus

pytestmark = pytest.mark.django_db

MODELS = [
    "manufacturer",
    "chargermodel",
    "faultcategory",
    "codeentry",
    "playbook",
    "textpattern",
    "manual",
    "unknowncode",
]


@pytest.mark.parametrize("model", MODELS)
def test_a_knowledge_base_admin_opens_every_list_and_search(client, kb_admin, knowledge, model):
    client.force_login(kb_admin)
    response = client.get(f"/admin/knowledgebase/{model}/", {"q": "stop"})
    assert response.status_code == 200


def test_the_playbook_form_has_its_steps_inline(client, kb_admin, knowledge):
    from knowledgebase.models import Playbook

    client.force_login(kb_admin)
    playbook = Playbook.objects.get(slug="estop-release-reset")
    page = client.get(f"/admin/knowledgebase/playbook/{playbook.pk}/change/")
    assert b"Release the button" in page.content
    assert b"steps-TOTAL_FORMS" in page.content


def test_the_approve_action_makes_drafts_live(client, kb_admin, knowledge):
    maker = Manufacturer.objects.create(name="Acme Charging", aliases="ACME")
    draft = CodeEntry.objects.create(manufacturer=maker, code="E7", meaning="Fan", status=EntryStatus.DRAFT)
    client.force_login(kb_admin)
    client.post(
        "/admin/knowledgebase/codeentry/",
        {"action": "approve_selected", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert draft.status == EntryStatus.LIVE
    assert translate(Report(vendor="ACME", vendor_error_code="E7")).entry_id == draft.pk


def test_an_operator_cannot_open_the_knowledge_base_admin(client, operator, knowledge):
    client.force_login(operator)
    response = client.get("/admin/knowledgebase/codeentry/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
