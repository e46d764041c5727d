from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import include, path


@login_not_required
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


admin.site.site_header = "Faultline administration"
admin.site.site_title = "Faultline"

urlpatterns = [
    path("", include("faults.urls")),
    path("accounts/", include("accounts.urls")),
    path("chargers/", include("chargers.urls")),
    path("knowledge/", include("knowledgebase.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api")),
    path("healthz", healthz, name="healthz"),
]
