"""A phantom rule that would hide a safety fault is refused wherever it is saved."""

import pytest
from django.core.exceptions import ValidationError

from faults.models import PhantomRule
from knowledgebase.models import CodeEntry, Manufacturer
from knowledgebase.vocabulary import Category, EntryScope, Responsible, Severity
from tests.conftest import PASSWORD


def test_a_rule_naming_a_safety_error_code_is_refused_by_the_model(knowledge):
    rule = PhantomRule(name="Hide ground faults", vendor="Acme*", error_code="GroundFailure")
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert "safety" in str(refused.value)


def test_a_rule_whose_vendor_code_the_knowledge_base_reads_as_a_safety_category_is_refused(knowledge):
    acme = Manufacturer.objects.create(name="Acme Charging")
    CodeEntry.objects.create(
        scope=EntryScope.MANUFACTURER,
        manufacturer=acme,
        code="GF1",
        meaning="Residual current detected",
        category=Category.GROUND_FAULT,
        severity=Severity.CRITICAL,
        responsible=Responsible.ELECTRICIAN,
    )
    rule = PhantomRule(name="Hide GF1", vendor="Acme Charging", vendor_error_code="GF1")
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert "ground_fault" in str(refused.value)


def test_a_rule_for_an_ordinary_advisory_is_accepted(knowledge):
    rule = PhantomRule(name="Fan advisory", vendor="Acme*", error_code="OtherError", vendor_error_code="FAN*")
    rule.full_clean()


def test_a_rule_with_a_broken_regular_expression_is_refused(knowledge):
    with pytest.raises(ValidationError) as refused:
        PhantomRule(name="Bad", info_pattern="(unclosed").full_clean()
    assert "info_pattern" in refused.value.message_dict


def test_the_api_refuses_a_rule_that_would_hide_a_safety_fault(api_client, kb_admin, knowledge):
    api_client.force_authenticate(kb_admin)
    response = api_client.post(
        "/api/v1/phantom-rules/", {"name": "Hide it", "error_code": "OverCurrentFailure"}, format="json"
    )
    assert response.status_code == 400
    assert "safety" in str(response.json())
    assert not PhantomRule.objects.exists()


def test_the_api_accepts_a_harmless_rule_from_a_knowledge_base_admin(api_client, kb_admin, knowledge):
    api_client.force_authenticate(kb_admin)
    response = api_client.post(
        "/api/v1/phantom-rules/", {"name": "Door spam", "vendor_error_code": "DOOR*"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert PhantomRule.objects.get().name == "Door spam"


def test_an_operator_cannot_write_phantom_rules(api_client, operator, knowledge):
    api_client.force_authenticate(operator)
    response = api_client.post("/api/v1/phantom-rules/", {"name": "Door spam"}, format="json")
    assert response.status_code == 403


def test_changing_a_rule_into_a_safety_rule_is_refused(api_client, kb_admin, knowledge):
    rule = PhantomRule.objects.create(name="Door spam", vendor_error_code="DOOR*")
    api_client.force_authenticate(kb_admin)
    response = api_client.patch(
        f"/api/v1/phantom-rules/{rule.pk}/", {"error_code": "PowerSwitchFailure"}, format="json"
    )
    assert response.status_code == 400
    rule.refresh_from_db()
    assert rule.error_code == ""


def test_the_admin_form_refuses_a_rule_that_would_hide_a_safety_fault(client, knowledge, django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    client.login(username="root", password=PASSWORD)
    response = client.post(
        "/admin/faults/phantomrule/add/",
        {"name": "Hide ground", "enabled": "on", "error_code": "GroundFailure", "context": "any"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "never filtered as a phantom" in response.content.decode()
    assert not PhantomRule.objects.exists()
