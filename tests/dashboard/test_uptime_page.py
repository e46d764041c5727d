"""The uptime page: month by month against 97%, raw beside filtered, exclusions entered and audited."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from faults.models import Exclusion, ExclusionAudit, PortDayRollup
from knowledgebase.vocabulary import ExclusionReason
from tests.factories import ChargerFactory, ConnectorFactory, SiteFactory

pytestmark = pytest.mark.django_db


def rollup(connector, day, *, outage=0, outage_filtered=None, excluded=0):
    return PortDayRollup.objects.create(
        connector=connector,
        day=day,
        service_minutes=1440,
        outage_minutes=outage,
        excluded_minutes=excluded,
        offline_minutes=0,
        faulted_minutes=outage,
        outage_minutes_filtered=outage if outage_filtered is None else outage_filtered,
        excluded_minutes_filtered=excluded,
        offline_minutes_filtered=0,
        faulted_minutes_filtered=outage if outage_filtered is None else outage_filtered,
    )


@pytest.fixture
def port():
    charger = ChargerFactory(charge_point_id="CP-UP", site=SiteFactory(name="Uptown"))
    return ConnectorFactory(charger=charger, evse_id=1)


def test_the_table_shows_filtered_and_raw_uptime_of_the_last_thirty_days(client, operator, port):
    client.force_login(operator)
    yesterday = timezone.localdate() - timedelta(days=1)
    # 30 days of 1440 minutes; one day lost 144 minutes raw, of which a phantom made up 144 (filtered 0).
    for back in range(30):
        rollup(port, yesterday - timedelta(days=back), outage=144 if back == 0 else 0, outage_filtered=0)
    html = client.get(reverse("faults:uptime"), {"charger": "CP-UP"}).content.decode()
    row = html.split('id="uptime-table"')[1].split("</tbody>")[0]
    assert "CP-UP #1" in row
    assert "100.00%" in row  # filtered
    assert f"{(43200 - 144) / 43200 * 100:.2f}%" in row  # raw


def test_the_chart_is_server_rendered_svg_with_the_97_percent_line(client, operator, port):
    client.force_login(operator)
    rollup(port, timezone.localdate().replace(day=1), outage=1440 * 5 // 100)
    html = client.get(reverse("faults:uptime"), {"site": port.charger.site.pk}).content.decode()
    chart = html.split('id="uptime-chart"')[1].split("</svg>")[0]
    assert "<svg" in chart and 'class="line97"' in chart and ">97%<" in chart
    assert chart.count("<polyline") == 2  # filtered and raw
    assert "Filtered" in chart and "Raw" in chart


def test_csv_export_buttons_download_the_scopes_csv(client, operator, port):
    client.force_login(operator)
    response = client.get(reverse("faults:uptime"), {"charger": "CP-UP"})
    exports = response.context["exports"]
    assert exports["quarterly"].startswith("/api/v1/uptime/federal-quarterly/?format=csv")
    assert "charger=CP-UP" in exports["outages"]
    downloads = {name: client.get(url) for name, url in exports.items()}
    for download in downloads.values():
        assert download.status_code == 200, download.content
        assert download["Content-Type"].startswith("text/csv")
    assert "CP-UP" in downloads["quarterly"].content.decode()


def test_an_unknown_charger_is_reported_not_ignored(client, operator):
    client.force_login(operator)
    html = client.get(reverse("faults:uptime"), {"charger": "NOPE-1"}).content.decode()
    assert "No charger has the id" in html


def test_an_operator_records_an_exclusion_and_it_is_audited(client, operator, port):
    client.force_login(operator)
    start = timezone.localtime() - timedelta(hours=5)
    response = client.post(
        reverse("faults:add_exclusion"),
        {
            "charger": "CP-UP",
            "port": 1,
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "end": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "reason": ExclusionReason.UTILITY_OUTAGE,
            "note": "Grid operator confirmed a feeder fault.",
            "scope": "charger=CP-UP",
        },
    )
    assert response["Location"] == reverse("faults:uptime") + "?charger=CP-UP"
    exclusion = Exclusion.objects.get()
    assert (exclusion.connector, exclusion.entered_by, exclusion.reason) == (
        port,
        operator,
        ExclusionReason.UTILITY_OUTAGE,
    )
    assert ExclusionAudit.objects.filter(exclusion=exclusion).exists()


def test_an_exclusion_that_ends_before_it_starts_is_refused_with_a_message(client, operator, port):
    client.force_login(operator)
    now = timezone.localtime()
    response = client.post(
        reverse("faults:add_exclusion"),
        {
            "charger": "CP-UP",
            "start": now.strftime("%Y-%m-%dT%H:%M"),
            "end": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "reason": ExclusionReason.VANDALISM,
        },
        follow=True,
    )
    assert "must end after it starts" in response.content.decode()
    assert not Exclusion.objects.exists()


def test_a_technician_cannot_record_exclusions(client, technician, port):
    client.force_login(technician)
    response = client.post(reverse("faults:add_exclusion"), {"charger": "CP-UP", "reason": "vandalism"})
    assert response.status_code == 403
    assert "Record an exclusion" not in client.get(reverse("faults:uptime")).content.decode()


def test_the_charger_page_has_an_uptime_sparkline(client, operator, port):
    client.force_login(operator)
    yesterday = timezone.localdate() - timedelta(days=1)
    rollup(port, yesterday, outage=60)
    rollup(port, yesterday - timedelta(days=1))
    html = client.get(reverse("faults:charger", args=["CP-UP"])).content.decode()
    assert 'class="spark"' in html
