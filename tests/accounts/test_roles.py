import pytest
from django.contrib.auth.models import Group

from accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_migrations_create_the_three_role_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}


def test_operators_may_send_commands_but_not_edit_the_knowledge_base(operator):
    assert operator.has_perm("chargers.send_command")
    assert operator.has_perm("chargers.view_ocppmessage")
    assert not any(
        p.startswith("knowledgebase.") and not p.split(".")[1].startswith("view_")
        for p in operator.get_all_permissions()
    )


def test_technicians_read_but_may_not_send_commands(technician):
    assert technician.has_perm("chargers.view_charger")
    assert not technician.has_perm("chargers.send_command")
    assert not technician.has_perm("chargers.add_charger")


def test_a_user_in_no_role_reads_nothing_through_the_api(api_client, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x" * 20)
    api_client.force_authenticate(nobody)
    assert api_client.get("/api/v1/chargers/").status_code == 403


def test_the_django_admin_is_closed_to_operators(client, operator):
    client.force_login(operator)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_django_admin_is_open_to_knowledge_base_admins(client, kb_admin):
    client.force_login(kb_admin)
    assert client.get("/admin/").status_code == 200
