"""Code tables in PDF manuals: text lines that start with a code, followed by its description."""

import io
import logging
import re

from knowledgebase.importers import ImportRefused
from knowledgebase.importers.rows import MAX_ROWS, DraftRow, fill_guesses

MAX_PAGES = 400
_CODE = re.compile(r"^(?:0x[0-9A-Fa-f]{1,8}|[A-Za-z]{0,4}[-_]?\d{1,6}[A-Za-z]?)$")
_COLUMNS = re.compile(r"\s{2,}|\t|\s*\|\s*")
_HEADER_WORDS = {"code", "error code", "fault code", "no", "no."}


def _split(line: str) -> list[str]:
    return [cell.strip() for cell in _COLUMNS.split(line.strip()) if cell.strip()]


def rows_from_pdf(data: bytes) -> list[DraftRow]:
    """Draft rows from every table-like line of the PDF's text (page numbers kept for review)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    # pypdf logs every oddity of hostile files; the admin gets one clear message instead.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ImportRefused("The PDF is password-protected; upload an unprotected copy.")
        if len(reader.pages) > MAX_PAGES:
            raise ImportRefused(f"The PDF has {len(reader.pages)} pages; at most {MAX_PAGES} are read.")
        pages = [page.extract_text(extraction_mode="layout") or "" for page in reader.pages]
    except ImportRefused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError):
        raise ImportRefused(
            "The file starts like a PDF but cannot be read as one (damaged or not a PDF)."
        ) from None

    drafts: list[DraftRow] = []
    seen: set[str] = set()
    for page_number, text in enumerate(pages, start=1):
        for line in text.splitlines():
            cells = _split(line)
            if len(cells) < 2 or cells[0].casefold() in _HEADER_WORDS:
                continue
            code, meaning, *rest = cells
            if not _CODE.match(code) or not re.search(r"[A-Za-z]{3}", meaning) or code.casefold() in seen:
                continue
            seen.add(code.casefold())
            drafts.append(
                fill_guesses(
                    DraftRow(code=code, meaning=meaning, next_action=" ".join(rest), page=str(page_number))
                )
            )
            if len(drafts) > MAX_ROWS:
                raise ImportRefused(
                    f"The PDF lists more than {MAX_ROWS} codes; split it into smaller manuals."
                )
    if not drafts:
        raise ImportRefused(
            "No code table was found in the PDF (lines that start with a code followed by its description). "
            "A scanned manual has no text to read: export the table to CSV or XLSX instead."
        )
    return drafts
