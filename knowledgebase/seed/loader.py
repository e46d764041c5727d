"""Load the starter knowledge: safe to run again (rows that exist are left as admins edited them)."""

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


def _entry(
    counts,
    update,
    *,
    scope,
    manufacturer=None,
    charger_model=None,
    firmware_min="",
    firmware_max="",
    code,
    text_pattern="",
    values,
    playbook_slug,
    source,
    is_sample=False,
):
    meaning, category, severity, responsible, escalation, next_action, charging_possible = values
    playbook = Playbook.objects.get(slug=playbook_slug) if playbook_slug else None
    fields = {
        "meaning": meaning,
        "category": category,
        "severity": severity,
        "responsible": responsible,
        "escalation_responsible": escalation,
        "next_action": next_action,
        "playbook": playbook,
        "charging_possible": charging_possible,
        "source": source,
        "is_sample": is_sample,
    }
    probe = CodeEntry(
        scope=scope,
        manufacturer=manufacturer,
        charger_model=charger_model,
        firmware_min=firmware_min,
        firmware_max=firmware_max,
        code=code,
        text_pattern=text_pattern,
    )
    existing = CodeEntry.objects.filter(match_key=probe.compute_match_key(), status=EntryStatus.LIVE).first()
    if existing is None:
        for name, value in fields.items():
            setattr(probe, name, value)
        probe.status = EntryStatus.LIVE
        probe.save()
        counts["entries created"] += 1
        return probe
    if update:
        for name, value in fields.items():
            setattr(existing, name, value)
        existing.save(update_fields=list(fields))
        counts["entries updated"] += 1
    return existing


def _playbooks(counts, update):
    for slug, name, summary, escalation, escalation_responsible, steps in playbooks.PLAYBOOKS:
        playbook, created = Playbook.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "summary": summary,
                "escalation": escalation,
                "escalation_responsible": escalation_responsible,
            },
        )
        if not (created or update):
            continue
        counts["playbooks created" if created else "playbooks updated"] += 1
        if update:
            playbook.name, playbook.summary, playbook.escalation = name, summary, escalation
            playbook.escalation_responsible = escalation_responsible
            playbook.save(update_fields=["name", "summary", "escalation", "escalation_responsible"])
            playbook.steps.all().delete()
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


def load_knowledge(update: bool = False) -> Counter:
    """Create what is missing (or, with update=True, also overwrite the shipped rows); count what happened."""
    counts: Counter = Counter()
    with transaction.atomic(), KnowledgeVersion.batch():
        for value, label in Category.choices:
            FaultCategory.objects.get_or_create(
                value=value,
                defaults={"label": label, "is_builtin": True, "is_safety": value in SAFETY_CATEGORIES},
            )
        for value, label, is_safety in EXTRA_CATEGORIES:
            FaultCategory.objects.get_or_create(
                value=value, defaults={"label": label, "is_safety": is_safety}
            )
        _playbooks(counts, update)

        for scope, rows in (
            (EntryScope.OCPP, standard.OCPP_16 + standard.OCPP_201),
            (EntryScope.CHARGEX, standard.CHARGEX),
            (EntryScope.EVGO, standard.EVGO),
        ):
            for code, meaning, category, severity, responsible, escalation, action, slug, charging in rows:
                _entry(
                    counts,
                    update,
                    scope=scope,
                    code=code,
                    values=(meaning, category, severity, responsible, escalation, action, charging),
                    playbook_slug=slug,
                    source=EntrySource.STANDARD,
                )

        for name, pattern, (scope, code), priority in patterns.PATTERNS:
            entry = CodeEntry.objects.get(scope=scope, code=code, manufacturer=None, status=EntryStatus.LIVE)
            _, created = TextPattern.objects.get_or_create(
                pattern=pattern, defaults={"name": name, "entry": entry, "priority": priority}
            )
            counts["patterns created"] += created

        for name, aliases, models in samples.MANUFACTURERS:
            manufacturer, created = Manufacturer.objects.get_or_create(
                name=name, defaults={"aliases": aliases, "is_sample": True}
            )
            counts["manufacturers created"] += created
            for model_name, name_patterns in models:
                ChargerModel.objects.get_or_create(
                    manufacturer=manufacturer, name=model_name, defaults={"name_patterns": name_patterns}
                )
        for row in samples.ENTRIES:
            maker, model_name, firmware_min, firmware_max, code, text_pattern, *values, slug, charging = row
            manufacturer = Manufacturer.objects.get(name=maker)
            _entry(
                counts,
                update,
                scope=EntryScope.MANUFACTURER,
                manufacturer=manufacturer,
                charger_model=manufacturer.charger_models.get(name=model_name) if model_name else None,
                firmware_min=firmware_min,
                firmware_max=firmware_max,
                code=code,
                text_pattern=text_pattern,
                values=(*values, charging),
                playbook_slug=slug,
                source=EntrySource.MANUAL,
                is_sample=True,
            )
    return counts
