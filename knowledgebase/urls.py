from django.urls import path

from knowledgebase.views import browse, manage

app_name = "knowledgebase"

urlpatterns = [
    path("", browse.codes, name="codes"),
    path("codes/<int:pk>/", browse.entry, name="entry"),
    path("codes/<int:pk>/edit/", manage.edit_entry, name="edit_entry"),
    path("codes/<int:pk>/approve/", manage.approve, name="approve"),
    path("codes/<int:pk>/discard/", manage.discard, name="discard"),
    path("playbooks/", browse.playbooks, name="playbooks"),
    path("playbooks/<slug:slug>/", browse.playbook, name="playbook"),
    path("manuals/", manage.manuals, name="manuals"),
    path("manuals/upload/", manage.upload, name="upload"),
    path("manuals/<int:pk>/mapping/", manage.mapping, name="manual_mapping"),
    path("manuals/<int:pk>/review/", manage.review, name="manual_review"),
    path("manuals/<int:pk>/approve-all/", manage.approve_all, name="approve_all"),
    path("unknown/", manage.unknown_codes, name="unknown_codes"),
    path("unknown/<int:pk>/write/", manage.write_entry, name="write_entry"),
]
