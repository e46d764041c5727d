"""Fault episodes, phantom filtering, correlation, alerts and uptime."""
