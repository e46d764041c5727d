"""Writing what a group commit gathered: rows by COPY on PostgreSQL (`bulk_create` elsewhere),
updates by one `UPDATE … FROM unnest(…)` per batch.

A batch inserts a few hundred rows per table. Through the ORM each row's every value is compiled
into SQL text and quoted in Python, which costs more than everything else the server does with a
frame; COPY streams the same values (prepared by each field, as the ORM would) in one statement.
COPY returns no ids, so rows get theirs from the table's sequence first (`take_ids`), which also
lets rows that point to them be created before either is inserted.
"""

import operator
import threading

from django.db import connection, connections, models
from django.db.models import Model
from django.db.models.base import ModelState

# Ids a process takes from a sequence at a time: a round trip per few hundred rows, not per batch
# and table. Ids never used (the process stops, a batch fails) are gaps, as with any sequence.
ID_BLOCK = 1024

_id_pools: dict[str, list[int]] = {}
_id_pools_lock = threading.Lock()


def uses_copy() -> bool:
    return connection.vendor == "postgresql"


def reserve_ids(model: type[Model], count: int) -> list[int]:
    """`count` fresh primary keys from the sequence of `model`'s table (PostgreSQL only)."""
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def take_ids(model: type[Model], count: int) -> list[int]:
    """`count` fresh primary keys for `model` (PostgreSQL), from this process's pool of reserved ones."""
    with _id_pools_lock:
        pool = _id_pools.setdefault(model._meta.db_table, [])
        if len(pool) < count:
            pool.extend(reserve_ids(model, max(ID_BLOCK, count - len(pool))))
        taken = pool[:count]
        del pool[:count]
        return taken


def forget_reserved_ids() -> None:
    """Drop the pools (after a failed batch: a sequence may have been reset under them)."""
    with _id_pools_lock:
        _id_pools.clear()


def new_row(model: type[Model], **values) -> Model:
    """`model(**values)` for the rows a frame writes, without Model.__init__.

    The ORM's constructor walks every field and sends the pre_init and post_init signals per row;
    that came to a fifth of the writer's time at a few thousand rows a second. This builds the same
    instance the way unpickling does: the field defaults, then `values` (given by field name; a
    related row given by its relation name sets its id and is cached, as the constructor would do).
    Only for models that no post_init receiver (e.g. an image field) listens to.
    """
    defaults, constant, relations = _shape(model)
    row = model.__new__(model)
    state = row._state = ModelState()
    attributes = row.__dict__
    attributes.update(constant)
    for name, make in defaults:
        attributes[name] = make()
    for name, value in values.items():
        relation = relations.get(name)
        if relation is None:
            attributes[name] = value
        else:
            attributes[relation] = None if value is None else value.pk
            state.fields_cache[name] = value
    return row


_shapes: dict[type[Model], tuple] = {}


def _shape(model: type[Model]) -> tuple[list, dict, dict]:
    """(per-row defaults, constant defaults, relation name → id attribute) of `model`."""
    found = _shapes.get(model)
    if found is None:
        per_row, constant, relations = [], {}, {}
        for field in model._meta.concrete_fields:
            if field.has_default() and callable(field.default):
                per_row.append((field.attname, field.default))
            else:
                constant[field.attname] = field.get_default()
            if field.is_relation:
                relations[field.name] = field.attname
        found = _shapes[model] = (per_row, constant, relations)
    return found


def insert_rows(model: type[Model], rows: list[Model]) -> None:
    """Insert `rows` (all of `model`) in one statement; afterwards each has its primary key."""
    if not rows:
        return
    if not uses_copy():
        model.objects.bulk_create(rows)
        return
    without_id = [row for row in rows if row.pk is None]
    if without_id:
        for row, new_id in zip(without_id, take_ids(model, len(without_id)), strict=True):
            row.pk = new_id
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    statement = "COPY {} ({}) FROM STDIN".format(
        quote(model._meta.db_table), ", ".join(quote(field.column) for field in fields)
    )
    plain, prepared = _preparers(model)
    real = connections[connection.alias]  # the proxy's lookup once, not per value
    with real.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            values = list(plain(row))
            for index, field in prepared:
                values[index] = field.get_db_prep_save(field.pre_save(row, True), real)
            copy.write_row(values)
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias


# Fields whose Python value psycopg writes as it is: their ORM preparation only checks types.
_PLAIN_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.IntegerField,
    models.FloatField,
    models.BooleanField,
    models.CharField,
    models.TextField,
    models.ForeignKey,
)
_preparers_by_model: dict[type[Model], tuple] = {}


def _preparers(model: type[Model]) -> tuple:
    """How a row of `model` becomes its COPY values: one getter for every column's attribute, and
    the columns (index, field) whose value the ORM must prepare instead (JSON, defaults computed on
    save). Aware datetimes are written by psycopg as they are (what the ORM's preparation would
    return on PostgreSQL)."""
    found = _preparers_by_model.get(model)
    if found is None:
        fields = model._meta.concrete_fields
        plain = operator.attrgetter(*[field.attname for field in fields])
        if len(fields) == 1:
            plain = (lambda get: lambda row: (get(row),))(plain)
        prepared = [(index, field) for index, field in enumerate(fields) if not _is_plain(field)]
        found = _preparers_by_model[model] = (plain, prepared)
    return found


def _is_plain(field) -> bool:
    if isinstance(field, models.DateTimeField):
        return not (field.auto_now or field.auto_now_add)
    return isinstance(field, _PLAIN_FIELDS) and type(field).pre_save is models.Field.pre_save


def update_from_rows(statement: str, types: tuple[str, ...], rows: list[tuple], **names) -> list[tuple]:
    """Run `statement`, an `UPDATE … FROM {rows} AS alias (columns) …`, for a batch's `rows` in one
    statement (PostgreSQL): `{rows}` becomes `unnest()` of one array per column, typed by `types`,
    so the SQL text is the same for every batch (short, parsed once by psycopg) however many rows.
    `names` fill the statement's other placeholders; returns what it RETURNs."""
    columns = [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in types]
    arrays = ", ".join(f"%s::{type_}[]" for type_ in types)
    with connection.cursor() as cursor:
        cursor.execute(statement.format(rows=f"unnest({arrays})", **names), columns)
        return cursor.fetchall() if cursor.description else []
