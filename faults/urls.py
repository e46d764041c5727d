from django.urls import path

from faults import views

app_name = "faults"

urlpatterns = [
    path("", views.board, name="board"),
]
