"""Uptime the way regulators count it: per-port outage accounting, exclusions, rollups and reports."""
