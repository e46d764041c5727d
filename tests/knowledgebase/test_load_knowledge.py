"""The starter knowledge base: complete, in the project's words, and safe to load twice."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from knowledgebase.models import CodeEntry, FaultCategory, Manufacturer, Playbook, TextPattern
from knowledgebase.translate import OCPP16_ERROR_CODES
from knowledgebase.vocabulary import Category, EntryScope, EntryStatus

pytestmark = pytest.mark.django_db


def test_it_holds_the_16_ocpp_codes_and_the_26_chargex_mrecs(knowledge):
    ocpp = set(
        CodeEntry.objects.filter(scope=EntryScope.OCPP, status=EntryStatus.LIVE).values_list(
            "code", flat=True
        )
    )
    assert OCPP16_ERROR_CODES <= ocpp
    assert len(OCPP16_ERROR_CODES) == 16
    chargex = set(CodeEntry.objects.filter(scope=EntryScope.CHARGEX).values_list("code", flat=True))
    assert chargex == {f"CX{number:03d}" for number in range(1, 27)}
    every = CodeEntry.objects.filter(manufacturer=None)
    assert all(entry.meaning and entry.next_action for entry in every)


def test_it_holds_the_field_playbooks_each_ending_in_an_escalation(knowledge):
    slugs = set(Playbook.objects.values_list("slug", flat=True))
    assert {
        "estop-release-reset",
        "remote-reset-ladder",
        "site-power-cycle",
        "resend-local-list",
        "ground-fault-lockout",
        "over-temperature-inspection",
        "reader-replacement",
        "connectivity-checks",
    } <= slugs
    for playbook in Playbook.objects.prefetch_related("steps"):
        steps = list(playbook.steps.all())
        assert steps and playbook.escalation
        assert [step.position for step in steps] == list(range(1, len(steps) + 1))
        assert all(step.role for step in steps)


def test_sample_manufacturers_are_marked_as_samples(knowledge):
    samples = Manufacturer.objects.filter(is_sample=True)
    assert samples.count() == 2
    assert all(entry.is_sample for entry in CodeEntry.objects.filter(manufacturer__in=samples))


def test_loading_twice_changes_nothing(knowledge):
    before = (CodeEntry.objects.count(), TextPattern.objects.count(), Playbook.objects.count())
    call_command("load_knowledge", verbosity=0)
    assert (CodeEntry.objects.count(), TextPattern.objects.count(), Playbook.objects.count()) == before


def test_it_keeps_an_admins_edit_unless_asked_to_update(knowledge):
    entry = CodeEntry.objects.get(scope=EntryScope.OCPP, code="WeakSignal")
    entry.next_action = "Call Sam, our IT contractor."
    entry.save(update_fields=["next_action"])
    call_command("load_knowledge", verbosity=0)
    entry.refresh_from_db()
    assert entry.next_action == "Call Sam, our IT contractor."
    call_command("load_knowledge", "--update", verbosity=0)
    entry.refresh_from_db()
    assert entry.next_action != "Call Sam, our IT contractor."


def test_a_built_in_safety_category_cannot_be_unsafetied(knowledge):
    ground = FaultCategory.objects.get(value=Category.GROUND_FAULT)
    ground.is_safety = False
    with pytest.raises(ValidationError):
        ground.full_clean()
    ground.save()
    ground.refresh_from_db()
    assert ground.is_safety is True


def test_an_admin_category_flagged_safety_makes_translations_safety(knowledge):
    from knowledgebase.translate import Report, translate

    FaultCategory.objects.create(value="hydrogen_leak", label="Hydrogen leak", is_safety=True)
    maker = Manufacturer.objects.create(name="H2Go")
    CodeEntry.objects.create(manufacturer=maker, code="H1", meaning="Leak", category="hydrogen_leak")
    assert translate(Report(vendor="H2Go", vendor_error_code="H1")).is_safety is True


def test_an_entry_with_an_unknown_category_is_refused(knowledge):
    entry = CodeEntry(scope=EntryScope.OCPP, code="X", meaning="x", category="no_such_category")
    with pytest.raises(ValidationError) as error:
        entry.full_clean()
    assert "category" in error.value.message_dict
