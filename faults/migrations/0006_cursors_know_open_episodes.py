from django.db import migrations


def point_cursors_at_open_episodes(apps, schema_editor):
    # Cursors written before 0005 do not know their port's open status episode; without it the next
    # operative report would not close that episode.
    PortCursor = apps.get_model("faults", "PortCursor")
    FaultEpisode = apps.get_model("faults", "FaultEpisode")
    for cursor in PortCursor.objects.filter(open_episode__isnull=True):
        episode = (
            FaultEpisode.objects.filter(
                connector_id=cursor.connector_id,
                kind__in=["fault", "warning"],
                open_event__isnull=True,
                closed_at__isnull=True,
            )
            .order_by("-opened_at")
            .first()
        )
        if episode is not None:
            cursor.open_episode = episode
            cursor.save(update_fields=["open_episode"])


class Migration(migrations.Migration):

    dependencies = [
        ("faults", "0005_port_cursor_open_episode"),
    ]

    operations = [
        migrations.RunPython(point_cursors_at_open_episodes, migrations.RunPython.noop),
    ]
