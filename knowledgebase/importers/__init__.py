"""Reading OEM manuals (CSV, XLSX, PDF) into draft code entries that an admin reviews."""


class ImportRefused(Exception):
    """The file cannot be imported; the message says why in words an admin can act on."""

    def __init__(self, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []
