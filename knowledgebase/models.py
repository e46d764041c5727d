"""Manufacturers, OEM manuals, error-code entries and repair playbooks."""
