"""Faultline's own starter knowledge: standard codes, playbooks, text patterns and samples."""
