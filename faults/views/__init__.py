"""The dashboard's pages in the faults app: the board, fault pages, technicians' work, uptime."""

from faults.views.operators import board

__all__ = ["board"]
