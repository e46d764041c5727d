"""Who makes the chargers, which models exist, the fault categories, and the rule-set version."""

import logging
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction

from knowledgebase.textmatch import normalise
from knowledgebase.vocabulary import SAFETY_CATEGORIES, Category

logger = logging.getLogger(__name__)

# Inside KnowledgeVersion.batch(): changes are noted and the version moves once at the end.
_batch_changed: ContextVar[list | None] = ContextVar("kb_batch_changed", default=None)


class KnowledgeVersion(models.Model):
    """One row whose token changes whenever the knowledge base does (translation caches key on it)."""

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.token

    @classmethod
    def current_token(cls) -> str:
        # Plain SQL: this runs before every translation, and the ORM's overhead is most of its cost.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT token FROM {cls._meta.db_table} WHERE id = 1")
            row = cursor.fetchone()
        return row[0] if row else ""

    @classmethod
    def mark_changed(cls) -> None:
        """Give the knowledge base a new version; every process rebuilds its rules on next use."""
        pending = _batch_changed.get()
        if pending is not None:
            pending.append(True)
            return
        cls.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})
        # Imported here: rules imports the models.
        from knowledgebase import rules

        rules.forget()
        transaction.on_commit(rules.forget)
        transaction.on_commit(_ask_faults_to_reclassify)

    @classmethod
    @contextmanager
    def batch(cls):
        """Many changes, one new version (loading seeds or a manual writes hundreds of rows)."""
        pending: list = []
        reset = _batch_changed.set(pending)
        try:
            yield
        finally:
            _batch_changed.reset(reset)
        if pending:
            cls.mark_changed()


def _ask_faults_to_reclassify() -> None:
    # By task name: the knowledge base does not import faults. Beat runs it hourly anyway, so a
    # broker hiccup here costs freshness, never data.
    from celery import current_app

    try:
        current_app.send_task("faults.reclassify")
    except Exception:  # noqa: BLE001 - any broker error; see above
        logger.warning("Could not ask the faults app to re-translate episodes", exc_info=True)


class ChangesKnowledge(models.Model):
    """Saving or deleting a row of a subclass invalidates the translation rules."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        KnowledgeVersion.mark_changed()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        KnowledgeVersion.mark_changed()
        return result


def split_aliases(text: str) -> list[str]:
    return [alias.strip() for alias in text.replace("\n", ",").split(",") if alias.strip()]


class Manufacturer(ChangesKnowledge):
    """A charger maker, with the names its chargers use in BootNotification vendor and in vendorId."""

    name = models.CharField(max_length=100, unique=True)
    aliases = models.TextField(
        blank=True,
        help_text="Comma-separated: how its chargers spell the vendor in BootNotification and vendorId.",
    )
    is_sample = models.BooleanField(default=False, help_text="Fictional example shipped with Faultline.")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def alias_keys(self) -> set[str]:
        """The normalised names a report's vendor or vendorId may match."""
        keys = {normalise(self.name)} | {normalise(alias) for alias in split_aliases(self.aliases)}
        return {key for key in keys if key}


class ChargerModel(ChangesKnowledge):
    """A charger model of one manufacturer, recognised by the model name its chargers send."""

    manufacturer = models.ForeignKey(Manufacturer, on_delete=models.CASCADE, related_name="charger_models")
    name = models.CharField(max_length=100)
    name_patterns = models.TextField(
        blank=True,
        help_text="Comma-separated BootNotification model names; * is a wildcard (e.g. 'HX-150*'). "
        "Empty: the name itself.",
    )

    class Meta:
        ordering = ["manufacturer__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["manufacturer", "name"], name="%(app_label)s_%(class)s_unique_name"
            )
        ]

    def __str__(self):
        return f"{self.manufacturer} {self.name}"

    def patterns(self) -> list[str]:
        return split_aliases(self.name_patterns) or [self.name]


class FaultCategory(ChangesKnowledge):
    """A fault category: the built-ins of vocabulary.Category plus any an admin adds."""

    value = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=80)
    is_safety = models.BooleanField(
        default=False, help_text="Safety faults are never filtered as phantom, whatever a rule says."
    )
    is_builtin = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["label"]
        verbose_name_plural = "fault categories"

    def __str__(self):
        return self.label

    def save(self, *args, **kwargs):
        # Built-in safety categories cannot be un-safetied, even by code that skips clean().
        if self.value in SAFETY_CATEGORIES:
            self.is_safety = True
        super().save(*args, **kwargs)

    def clean(self):
        if self.value in SAFETY_CATEGORIES and not self.is_safety:
            raise ValidationError({"is_safety": f"{self.label} is a safety category and stays one."})


def category_choices() -> list[tuple[str, str]]:
    """Built-in categories and those admins added, for forms."""
    choices = dict(Category.choices)
    for value, label in FaultCategory.objects.values_list("value", "label"):
        choices.setdefault(value, label)
    return sorted(choices.items(), key=lambda item: item[1].lower())


def validate_category(value: str) -> None:
    if value in Category.values or FaultCategory.objects.filter(value=value).exists():
        return
    raise ValidationError(f"{value!r} is not a fault category (add it under Fault categories first).")
