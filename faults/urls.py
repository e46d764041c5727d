from django.urls import path

from faults.views import episodes, fleet, operators, phantom_rules, technicians, uptime_pages

app_name = "faults"

urlpatterns = [
    path("", operators.board, name="board"),
    path("faults/<int:pk>/", episodes.episode_detail, name="detail"),
    path("faults/<int:pk>/runs/", technicians.start_run, name="start_run"),
    path("chargers/<str:charge_point_id>/", fleet.charger_detail, name="charger"),
    path("sites/", fleet.site_list, name="sites"),
    path("sites/<int:pk>/", fleet.site_detail, name="site"),
    path("my-work/", technicians.my_work, name="my_work"),
    path("runs/<int:pk>/", technicians.run_detail, name="run"),
    path("runs/<int:pk>/steps/<int:step_pk>/", technicians.run_step, name="run_step"),
    path("runs/<int:pk>/finish/", technicians.run_finish, name="run_finish"),
    path("runs/<int:pk>/photos/", technicians.run_photo, name="run_photo"),
    path("photos/<int:pk>/", technicians.photo_file, name="photo"),
    path("uptime/", uptime_pages.uptime, name="uptime"),
    path("uptime/exclusions/", uptime_pages.add_exclusion, name="add_exclusion"),
    path("phantom-rules/", phantom_rules.rule_list, name="phantom_rules"),
    path("phantom-rules/new/", phantom_rules.rule_edit, name="phantom_rule_new"),
    path("phantom-rules/<int:pk>/", phantom_rules.rule_edit, name="phantom_rule"),
]
