"""Group commit: the frames that arrive together, from every charger of this process, commit together.

A commit costs a WAL flush and a round trip; paying it once per frame caps a server process at a
few hundred frames a second. Here each session hands its write (a plain function of the database
thread) to the process's writer and awaits it. The writer takes everything queued meanwhile, runs
it in one transaction and commits once; only then are the sessions released to send their answers,
so persist before acknowledge holds for every frame of the batch. Should one write fail, the batch
is rolled back and each of its writes runs again in a transaction of its own, so that only the
charger whose write failed gets an error (failures are rare: cheaper than a savepoint per write).

No timer: while batches are being written the next ones gather, so a quiet server writes each frame
at once and a busy one writes many per commit.

Round trips are what a batch costs, so a write does as few of its own as it can:

- rows handed to `insert_with_batch()` (the message log, status reports, meter readings) are
  inserted together just before the commit, one INSERT per table per batch; on PostgreSQL a log row
  takes its id from a block the batch reserves (chargers.ingest.log_frame) so that rows pointing to it
  can wait for the batch too;
- what several writes of a batch would each look up (is this CALL a retransmission?) is looked up
  once for the whole batch through `batch_memo()`, from the keys the writes were queued with.

What a write wants done after its commit (Celery announcements, live events) goes through
`after_commit()`: once the batch has committed, those run in order on one thread of their own, and
the batch's announcements leave as one Celery message (chargers.announce.gathered); the batch's
sessions answer right after them (a charger's CALLRESULT still means its tasks are queued).

One writer thread: the database work of a process is a single stream of batches. Several threads
would only take turns on the interpreter lock, each round trip waiting for the event loop to let go
of it, and batches gather more frames while one is being written.
"""

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.db import DatabaseSyncToAsync
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Model

from chargers import announce
from chargers.protocol.bulk_insert import insert_rows

logger = logging.getLogger("chargers.ocpp")

# Enough to amortise the commit; small enough that one batch stays well under the latency target.
MAX_BATCH = 256
# Batches written at the same time (see the module docstring for why one). Batches never share a
# charger (a session has one write in flight), so they would lock disjoint rows.
WRITERS = 1


# One thread, so that what was committed first is announced first.
_after_commit_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="after-commit")
_current = threading.local()


def after_commit(function: Callable[[], Any]) -> None:
    """Run `function` once the current write has committed (never if it rolls back).

    Inside a group commit it runs on the after-commit thread, after the whole batch committed;
    anywhere else it is Django's `transaction.on_commit`.
    """
    hooks = getattr(_current, "hooks", None)
    if hooks is None:
        transaction.on_commit(function)
    else:
        hooks.append(function)


def insert_with_batch(row: Model) -> None:
    """Insert `row` with the rest of the current batch just before it commits; at once elsewhere.

    Only for rows that no other row of the batch points to: they get their primary key late.
    """
    rows = getattr(_current, "rows", None)
    if rows is None:
        row.save(force_insert=True)
    else:
        rows.append(row)


def insert_all_with_batch(rows: list[Model]) -> None:
    """`insert_with_batch` for several rows of one model (one bulk INSERT outside a batch)."""
    waiting = getattr(_current, "rows", None)
    if waiting is None:
        if rows:
            type(rows[0]).objects.bulk_create(rows)
    else:
        waiting.extend(rows)


def rows_waiting(model: type[Model]) -> list[Model]:
    """The rows of `model` that the current batch will insert before it commits."""
    return [row for row in getattr(_current, "rows", None) or () if type(row) is model]


def in_batch() -> bool:
    return getattr(_current, "rows", None) is not None


def batch_keys(kind: str) -> set[Any]:
    """The keys of this kind the current batch's writes were queued with (see GroupCommitWriter.write)."""
    keys = getattr(_current, "keys", None) or {}
    return keys.get(kind, set())


def batch_memo(name: str, compute: Callable[[], Any]) -> Any:
    """`compute()` once per batch (each time outside one): for lookups every write of it would repeat."""
    memo = getattr(_current, "memo", None)
    if memo is None:
        return compute()
    if name not in memo:
        memo[name] = compute()
    return memo[name]


_failure_listeners: list[Callable[[], None]] = []


def on_batch_failure(listener: Callable[[], None]) -> None:
    """Call `listener` whenever a batch fails (e.g. to forget cached rows that may be gone)."""
    _failure_listeners.append(listener)


def at_batch_end(function: Callable[[], Any]) -> None:
    """Run `function` once, after the batch's writes and before its rows are inserted (e.g. to apply
    in one statement what the writes gathered); at once outside a batch."""
    finishers = getattr(_current, "finishers", None)
    if finishers is None:
        function()
    elif function not in finishers:
        finishers.append(function)


def _insert_waiting_rows(rows: list[Model]) -> None:
    by_model: dict[type[Model], list[Model]] = {}
    for row in rows:
        by_model.setdefault(type(row), []).append(row)
    for model, model_rows in by_model.items():
        insert_rows(model, model_rows)


def _run_in_order(hooks: list[Callable[[], Any]], release: Callable[[], Any]) -> None:
    try:
        with announce.gathered():
            for hook in hooks:
                try:
                    hook()
                except Exception:
                    # The write is committed: a missed announcement must not stop the ones after it.
                    logger.exception("An after-commit action failed")
    except Exception:
        logger.exception("The batch's announcements could not be sent")
    release()


class _Outcome:
    __slots__ = ("value", "error")

    def __init__(self):
        self.value: Any = None
        self.error: BaseException | None = None


class GroupCommitWriter:
    """One per server process (per event loop): see the module docstring."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop = loop
        self._pending: list[tuple[Callable[[], Any], asyncio.Future, Any]] = []
        self._flushers: set[asyncio.Task] = set()
        self._write_in_thread = DatabaseSyncToAsync(self._write_batch, thread_sensitive=False)

    async def write(self, work: Callable[[], Any], key: Any = None) -> Any:
        """Run `work` in the next batch and return its result once that batch has committed.

        `key` (optional), a pair (kind, value), tells the batch what `work` will look up, so that
        one query serves all the writes of that kind (see batch_keys and batch_memo).
        """
        future = self._loop.create_future()
        self._pending.append((work, future, key))
        if len(self._flushers) < WRITERS:
            self._flushers.add(self._loop.create_task(self._flush_while_pending()))
        return await future

    async def _flush_while_pending(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    await self._write_in_thread(batch)
                except Exception as error:
                    # The outer transaction could not begin or commit (e.g. the database is
                    # unreachable): nothing of this batch is stored, so no session may acknowledge.
                    logger.warning("A batch of %d frames could not be committed: %r", len(batch), error)
                    _settle(batch, [_failed(error)] * len(batch))
        finally:
            # Gone from the set in the same step that found nothing pending, not in a done-callback
            # one loop turn later: a session woken by this batch may queue its next write before
            # such a callback ran, see a flusher that has already stopped and wait forever.
            self._flushers.discard(asyncio.current_task())

    def _write_batch(self, batch: list[tuple[Callable[[], Any], asyncio.Future, Any]]) -> None:
        try:
            self._write_together(batch)
        except Exception as error:
            for listener in _failure_listeners:
                listener()
            if len(batch) == 1 or isinstance(error, OperationalError | InterfaceError):
                raise  # the database itself failed: every write of the batch is refused
            # One write broke the batch, and nothing of it is stored: write each alone, so that only
            # the write at fault is refused. Rare, so the common case pays no savepoint per write.
            logger.warning("A write broke a batch of %d (%r); writing them one by one", len(batch), error)
            for item in batch:
                try:
                    self._write_together([item])
                except Exception as single_error:
                    self._loop.call_soon_threadsafe(_settle, [item], [_failed(single_error)])

    def _write_together(self, batch: list[tuple[Callable[[], Any], asyncio.Future, Any]]) -> None:
        """Every write of `batch` in one transaction; the sessions are released once it committed."""
        outcomes = [_Outcome() for _ in batch]
        with transaction.atomic():
            release = lambda: self._loop.call_soon_threadsafe(_settle, batch, outcomes)  # noqa: E731
            transaction.on_commit(lambda: _after_commit_thread.submit(_run_in_order, hooks, release))
            hooks, rows = [], []
            _current.hooks, _current.rows, _current.memo = hooks, rows, {}
            _current.keys = keys = {}
            for _, _, key in batch:
                if key is not None:
                    keys.setdefault(key[0], set()).add(key[1])
            _current.finishers = finishers = []
            try:
                for (work, _, _), outcome in zip(batch, outcomes, strict=True):
                    outcome.value = work()
                for finish in finishers:
                    finish()
                _insert_waiting_rows(rows)
            finally:
                _current.hooks = _current.rows = _current.memo = _current.keys = _current.finishers = None


def _failed(error: BaseException) -> _Outcome:
    outcome = _Outcome()
    outcome.error = error
    return outcome


def _settle(batch, outcomes) -> None:
    for (_, future, _), outcome in zip(batch, outcomes, strict=True):
        if future.done():  # the session was cancelled (socket closed) while waiting
            continue
        if outcome.error is not None:
            future.set_exception(outcome.error)
        else:
            future.set_result(outcome.value)


_writers: dict[asyncio.AbstractEventLoop, GroupCommitWriter] = {}


def writer() -> GroupCommitWriter:
    """The writer of the running event loop (one per server process)."""
    loop = asyncio.get_running_loop()
    current = _writers.get(loop)
    if current is None:
        for stale in [known for known in _writers if known.is_closed()]:
            del _writers[stale]
        current = _writers[loop] = GroupCommitWriter(loop)
    return current
