"""Manufacturers, OEM manuals, error-code entries, text patterns and repair playbooks."""

from knowledgebase.models.catalogue import (
    ChargerModel,
    FaultCategory,
    KnowledgeVersion,
    Manufacturer,
    category_choices,
)
from knowledgebase.models.codes import CodeEntry, TextPattern, UnknownCode
from knowledgebase.models.manuals import Manual
from knowledgebase.models.playbooks import Playbook, PlaybookStep

__all__ = [
    "ChargerModel",
    "CodeEntry",
    "FaultCategory",
    "KnowledgeVersion",
    "Manual",
    "Manufacturer",
    "Playbook",
    "PlaybookStep",
    "TextPattern",
    "UnknownCode",
    "category_choices",
]
