"""The server announces a committed batch's reports in one Celery message; the worker runs each
announced task from it, in order, and one broken entry does not stop the rest."""

from chargers import announce
from faults import tasks
from faults.models import EpisodeKind, FaultEpisode
from tests.faults.conftest import at, committed, port, store_only


def test_a_batch_of_announcements_runs_every_task_it_names_in_order(charger, knowledge):
    one = port(charger, 1)
    opened = store_only(one, "Faulted", at(10), "GroundFailure")
    closed = store_only(one, "Available", at(70))

    committed(
        tasks.announcements.delay,
        [
            [announce.STATUS_REPORTED, []],  # a malformed entry: logged, skipped
            ["faults.no_such_task", [1]],  # a name no worker knows: logged, skipped
            [announce.STATUS_REPORTED, [opened.pk]],
            [announce.STATUS_REPORTED, [closed.pk]],
        ],
    )

    [episode] = FaultEpisode.objects.filter(connector=one)
    assert episode.kind == EpisodeKind.FAULT
    assert (episode.opened_at, episode.closed_at) == (at(10), at(70))


def test_a_batch_never_runs_itself_again(charger, knowledge, caplog):
    committed(tasks.announcements.delay, [[announce.ANNOUNCEMENTS, [[]]]])
    assert "unknown task" in caplog.text
