"""The benchmark's own arithmetic: pairing the board's live events with acknowledged status reports,
and the figures bench/run.py derives for its tables. A wrong pairing would publish a wrong latency."""

import pytest

from bench import run
from bench.loadgen import Stats

PORT = ("BENCH-00001", 1, "Charging")


@pytest.fixture
def stats():
    return Stats()


def test_an_event_read_after_the_acknowledgement_is_timed_from_it(stats):
    stats.status_was_acknowledged(PORT, "2026-12-07T12:00:00.250Z")
    assert stats.live_waiting() == 1

    stats.board_showed(PORT, "2026-12-07T12:00:00.250000+00:00")

    assert stats.live_waiting() == 0
    assert len(stats.live_delays) == 1 and stats.live_delays[0] >= 0


def test_an_event_read_before_its_acknowledgement_counts_as_immediate(stats):
    stats.board_showed(PORT, "2026-12-07T12:00:00.250+00:00")
    stats.status_was_acknowledged(PORT, "2026-12-07T12:00:00.250Z")

    assert stats.live_delays == [0.0]
    assert stats.live_waiting() == 0 and stats.live_early[PORT] == []


def test_a_port_already_in_that_state_shows_its_earlier_since_and_still_pairs(stats):
    # A reconnecting charger repeats its last status: the board keeps the earlier `since`.
    stats.status_was_acknowledged(PORT, "2026-12-07T12:05:00.000Z")

    stats.board_showed(PORT, "2026-12-07T12:00:00+00:00")

    assert stats.live_waiting() == 0 and len(stats.live_delays) == 1


def test_an_event_does_not_pair_with_a_later_reports_acknowledgement(stats):
    # The event of a change at 12:05 cannot be the answer to a report made at 12:00.
    stats.status_was_acknowledged(PORT, "2026-12-07T12:00:00.000Z")

    stats.board_showed(PORT, "2026-12-07T12:05:00+00:00")

    assert stats.live_delays == []
    assert stats.live_waiting() == 1  # the 12:00 report is still waiting for its event: missed


def test_events_of_other_ports_or_statuses_do_not_pair(stats):
    stats.status_was_acknowledged(PORT, "2026-12-07T12:00:00.000Z")

    stats.board_showed(("BENCH-00001", 2, "Charging"), "2026-12-07T12:00:00+00:00")
    stats.board_showed(("BENCH-00001", 1, "Available"), "2026-12-07T12:00:00+00:00")

    assert stats.live_delays == [] and stats.live_waiting() == 1


def _report(**figures):
    return {"call_errors": 0, "timeouts": 0, **figures}


def test_derived_figures():
    derived = run.derived(
        _report(server_cpu_percent=150.0, messages_per_second=3000.0, lost=0, duplicated=1)
        | {"live_events_timed": 12345, "live_events_missed": 2}
    )

    assert derived["cpu_ms_per_message"] == 0.5  # 1.5 cores over 3,000 messages a second
    assert derived["lost_duplicated"] == "0 / 1"
    assert derived["live_timed_missed"] == "12,345 / 2"
    assert derived["errors"] == 0


def test_the_table_gives_medians_ratios_and_leaves_out_figures_no_run_has():
    def repetition(rate, bare_rate, reference):
        return {
            "reference_work_ms": reference,
            "faultline": {
                "steady": _report(messages_per_second=rate, server_cpu_percent=100.0, lost=0, duplicated=0),
                "paced": None,
                "storm": None,
            },
            "bare": {"steady": _report(messages_per_second=bare_rate, server_cpu_percent=50.0)},
        }

    lines = run.table(
        1000, [repetition(900, 1000, 700), repetition(1200, 1500, 800), repetition(1000, 2000, 750)]
    )
    text = "\n".join(lines)

    assert "median of 3 runs" in text
    assert "700, 800, 750 ms of CPU" in text
    assert "| sustained messages/s (steady) | 1,000 | 1,500 | 0.67 |" in text
    assert "| lost / duplicated (steady, checked in the log) | 0 / 0; 0 / 0; 0 / 0 | not stored | |" in text
    assert "board:" not in text  # the board was not followed
    assert "paced:" not in text and "storm:" not in text
