import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse("faults:board"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_login_page_itself_needs_no_login(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert b"Log in to Faultline" in response.content


def test_a_wrong_password_is_refused_with_a_clear_message(client, operator):
    response = client.post(reverse("accounts:login"), {"username": operator.username, "password": "nope"})
    assert response.status_code == 200
    assert b"didn't match" in response.content
    assert "_auth_user_id" not in client.session


def test_a_persona_logs_in_and_sees_the_board(client, operator):
    response = client.post(reverse("accounts:login"), {"username": operator.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("faults:board")).status_code == 200


def test_logout_is_a_post_and_ends_the_session(client, operator):
    client.force_login(operator)
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("faults:board")).status_code == 302


def test_the_api_answers_anonymous_requests_with_401_not_a_redirect(api_client):
    response = api_client.get("/api/v1/chargers/")
    assert response.status_code == 401


def test_the_health_check_is_open_for_the_load_balancer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
