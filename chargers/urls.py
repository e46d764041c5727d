from django.urls import path

from chargers import views

app_name = "chargers"

urlpatterns = [
    path("<str:charge_point_id>/messages/", views.message_log, name="messages"),
    path("<str:charge_point_id>/actions/", views.remote_action, name="remote_action"),
]
