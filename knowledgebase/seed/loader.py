"""Load the starter knowledge: safe to run again (rows that exist are left as admins edited them).

The tests load it for almost every test, so it reads what exists in a few queries and inserts what
is missing in bulk instead of saving row by row.
"""

from collections import Counter

from django.db import transaction

from knowledgebase.models import (
    ChargerModel,
    CodeEntry,
    FaultCategory,
    KnowledgeVersion,
    Manufacturer,
    Playbook,
    PlaybookStep,
    TextPattern,
)
from knowledgebase.seed import patterns, playbooks, samples, standard
from knowledgebase.vocabulary import SAFETY_CATEGORIES, Category, EntryScope, EntrySource, EntryStatus

EXTRA_CATEGORIES = [("safety", "Safety fault (unspecified)", True)]


class _Loader:
    def __init__(self, update: bool):
        self.update = update
        self.counts: Counter = Counter()
        self.playbooks: dict[str, Playbook] = {}
        self.live = {entry.match_key: entry for entry in CodeEntry.objects.filter(status=EntryStatus.LIVE)}
        self.new_entries: list[CodeEntry] = []

    def categories(self) -> None:
        existing = set(FaultCategory.objects.values_list("value", flat=True))
        wanted = [(value, label, value in SAFETY_CATEGORIES, True) for value, label in Category.choices]
        wanted += [(value, label, is_safety, False) for value, label, is_safety in EXTRA_CATEGORIES]
        FaultCategory.objects.bulk_create(
            FaultCategory(value=value, label=label, is_safety=is_safety, is_builtin=builtin)
            for value, label, is_safety, builtin in wanted
            if value not in existing
        )

    def load_playbooks(self) -> None:
        self.playbooks = {playbook.slug: playbook for playbook in Playbook.objects.all()}
        for slug, name, summary, escalation, escalation_responsible, steps in playbooks.PLAYBOOKS:
            playbook = self.playbooks.get(slug)
            values = {
                "name": name,
                "summary": summary,
                "escalation": escalation,
                "escalation_responsible": escalation_responsible,
            }
            if playbook is None:
                playbook = Playbook.objects.create(slug=slug, **values)
                self.playbooks[slug] = playbook
                self.counts["playbooks created"] += 1
            elif self.update:
                for name_, value in values.items():
                    setattr(playbook, name_, value)
                playbook.save(update_fields=list(values))
                playbook.steps.all().delete()
                self.counts["playbooks updated"] += 1
            else:
                continue
            PlaybookStep.objects.bulk_create(
                PlaybookStep(
                    playbook=playbook,
                    position=position,
                    title=title,
                    instructions=instructions,
                    role=role,
                    estimated_minutes=minutes,
                    tools=tools,
                    safety_note=safety_note,
                )
                for position, (title, instructions, role, minutes, tools, safety_note) in enumerate(
                    steps, start=1
                )
            )

    def entry(self, *, values, playbook_slug, source, is_sample=False, **scope) -> CodeEntry:
        meaning, category, severity, responsible, escalation, next_action, charging_possible = values
        fields = {
            "meaning": meaning,
            "category": category,
            "severity": severity,
            "responsible": responsible,
            "escalation_responsible": escalation,
            "next_action": next_action,
            "playbook": self.playbooks[playbook_slug] if playbook_slug else None,
            "charging_possible": charging_possible,
            "source": source,
            "is_sample": is_sample,
        }
        probe = CodeEntry(status=EntryStatus.LIVE, **scope, **fields)
        probe.match_key = probe.compute_match_key()
        existing = self.live.get(probe.match_key)
        if existing is None:
            self.live[probe.match_key] = probe
            self.new_entries.append(probe)
            self.counts["entries created"] += 1
            return probe
        if self.update:
            for name, value in fields.items():
                setattr(existing, name, value)
            existing.save(update_fields=list(fields))
            self.counts["entries updated"] += 1
        return existing

    def save_new_entries(self) -> None:
        CodeEntry.objects.bulk_create(self.new_entries)
        self.new_entries = []

    def standard_entries(self) -> dict[tuple[str, str], CodeEntry]:
        found = {}
        for scope, rows in (
            (EntryScope.OCPP, standard.OCPP_16 + standard.OCPP_201),
            (EntryScope.CHARGEX, standard.CHARGEX),
            (EntryScope.EVGO, standard.EVGO),
        ):
            for code, meaning, category, severity, responsible, escalation, action, slug, charging in rows:
                found[(scope, code)] = self.entry(
                    scope=scope,
                    code=code,
                    values=(meaning, category, severity, responsible, escalation, action, charging),
                    playbook_slug=slug,
                    source=EntrySource.STANDARD,
                )
        self.save_new_entries()
        return found

    def text_patterns(self, entries: dict[tuple[str, str], CodeEntry]) -> None:
        existing = set(TextPattern.objects.values_list("pattern", flat=True))
        new = [
            TextPattern(name=name, pattern=pattern, entry=entries[target], priority=priority)
            for name, pattern, target, priority in patterns.PATTERNS
            if pattern not in existing
        ]
        TextPattern.objects.bulk_create(new)
        self.counts["patterns created"] += len(new)

    def samples(self) -> None:
        for name, aliases, models in samples.MANUFACTURERS:
            manufacturer, created = Manufacturer.objects.get_or_create(
                name=name, defaults={"aliases": aliases, "is_sample": True}
            )
            self.counts["manufacturers created"] += created
            for model_name, name_patterns in models:
                ChargerModel.objects.get_or_create(
                    manufacturer=manufacturer, name=model_name, defaults={"name_patterns": name_patterns}
                )
        makers = {maker.name: maker for maker in Manufacturer.objects.filter(is_sample=True)}
        models = {(model.manufacturer_id, model.name): model for model in ChargerModel.objects.all()}
        for row in samples.ENTRIES:
            (
                maker_name,
                model_name,
                firmware_min,
                firmware_max,
                code,
                text_pattern,
                *values,
                slug,
                charging,
            ) = row
            maker = makers[maker_name]
            self.entry(
                scope=EntryScope.MANUFACTURER,
                manufacturer=maker,
                charger_model=models[(maker.pk, model_name)] if model_name else None,
                firmware_min=firmware_min,
                firmware_max=firmware_max,
                code=code,
                text_pattern=text_pattern,
                values=(*values, charging),
                playbook_slug=slug,
                source=EntrySource.MANUAL,
                is_sample=True,
            )
        self.save_new_entries()


def load_knowledge(update: bool = False) -> Counter:
    """Create what is missing (or, with update=True, also overwrite the shipped rows); count what happened."""
    with transaction.atomic(), KnowledgeVersion.batch():
        loader = _Loader(update)
        loader.categories()
        loader.load_playbooks()
        loader.text_patterns(loader.standard_entries())
        loader.samples()
        if sum(loader.counts.values()):
            # Bulk inserts skip save(): move the version by hand.
            KnowledgeVersion.mark_changed()
    return loader.counts
