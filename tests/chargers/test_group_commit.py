"""Group commit: writes that arrive together share one transaction, each caller is released only once
its write has committed, and a write that fails is refused alone."""

import asyncio
import threading

import pytest
from django.db import IntegrityError, connection

from chargers.models import Site
from chargers.protocol import group_commit

pytestmark = pytest.mark.django_db(transaction=True)


def _create_site(name: str) -> tuple[int, int]:
    site = Site.objects.create(name=name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT txid_current()")
        return site.pk, cursor.fetchone()[0]


def _create_site_then_fail(name: str) -> None:
    Site.objects.create(name=name)
    raise ValueError("the handler broke after writing")


async def test_writes_that_arrive_together_commit_in_one_transaction_before_their_callers_return():
    writer = group_commit.writer()
    names = [f"Batch site {number}" for number in range(5)]

    results = await asyncio.gather(*(writer.write(lambda name=name: _create_site(name)) for name in names))

    assert len({transaction_id for _, transaction_id in results}) == 1
    # Visible from another connection the moment the callers got their results: committed.
    stored = await asyncio.to_thread(
        lambda: sorted(Site.objects.filter(pk__in=[pk for pk, _ in results]).values_list("name", flat=True))
    )
    assert stored == names


async def test_a_failing_write_is_refused_alone_and_the_others_of_its_batch_commit():
    await asyncio.to_thread(lambda: Site.objects.create(name="Taken"))
    writer = group_commit.writer()

    outcomes = await asyncio.gather(
        writer.write(lambda: _create_site("Kept 1")),
        writer.write(lambda: _create_site_then_fail("Rolled back")),
        writer.write(lambda: _create_site("Taken")),  # a database error: the unique name
        writer.write(lambda: _create_site("Kept 2")),
        return_exceptions=True,
    )

    assert isinstance(outcomes[1], ValueError)
    assert isinstance(outcomes[2], IntegrityError)
    assert not isinstance(outcomes[0], BaseException) and not isinstance(outcomes[3], BaseException)
    names = await asyncio.to_thread(lambda: sorted(Site.objects.values_list("name", flat=True)))
    assert names == ["Kept 1", "Kept 2", "Taken"]


async def test_after_commit_actions_run_in_order_and_only_for_writes_that_committed():
    ran: list[str] = []
    last_ran = threading.Event()
    writer = group_commit.writer()

    def write(name: str, fail: bool = False, last: bool = False) -> None:
        group_commit.after_commit(lambda: ran.append(name))
        if last:
            group_commit.after_commit(last_ran.set)
        Site.objects.create(name=name)
        if fail:
            raise ValueError("refused")

    await asyncio.gather(
        writer.write(lambda: write("first")),
        writer.write(lambda: write("refused", fail=True)),
        writer.write(lambda: write("last", last=True)),
        return_exceptions=True,
    )

    assert await asyncio.to_thread(last_ran.wait, 10)
    assert ran == ["first", "last"]


async def test_a_write_queued_as_soon_as_the_previous_batch_released_its_caller_is_still_written():
    """A session that writes twice in a row (admission, then the opened socket) is woken by its
    first batch's commit, which may happen before the writer noticed it had nothing left to do.
    Its second write must start a new batch rather than wait for a writer that has stopped."""
    writer = group_commit.GroupCommitWriter(asyncio.get_running_loop())

    async def release_then_return(batch):
        # The release (from the after-commit thread) lands before the writer thread returns.
        outcomes = []
        for work, _, _ in batch:
            outcomes.append(group_commit._Outcome())
            outcomes[-1].value = work()
        group_commit._settle(batch, outcomes)

    writer._write_in_thread = release_then_return

    async def two_writes_in_a_row():
        return await writer.write(lambda: "admitted"), await writer.write(lambda: "recorded")

    assert await asyncio.wait_for(two_writes_in_a_row(), timeout=5) == ("admitted", "recorded")
