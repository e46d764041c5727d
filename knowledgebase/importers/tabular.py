"""CSV and XLSX code tables: read, check every cell, map columns, turn rows into drafts."""

import csv
import io
from dataclasses import dataclass, field

from knowledgebase.importers import ImportRefused
from knowledgebase.importers.rows import MAX_CELL_CHARS, MAX_ROWS, DraftRow, fill_guesses, looks_like_formula
from knowledgebase.textmatch import normalise
from knowledgebase.vocabulary import Responsible, Severity

MAX_COLUMNS = 40
# Draft fields a column can fill, with the header words that suggest each.
FIELDS = {
    "code": ("code", "error code", "fault code", "error", "error no", "no", "number", "id", "vendor code"),
    "meaning": ("meaning", "description", "message", "text", "fault", "name", "error text", "cause"),
    "next_action": ("action", "next action", "remedy", "solution", "fix", "troubleshooting", "measure"),
    "category": ("category",),
    "severity": ("severity", "level"),
    "responsible": ("responsible", "who", "who acts"),
    "model_name": ("model", "charger model"),
    "firmware_min": ("firmware from", "firmware min", "from firmware"),
    "firmware_max": ("firmware to", "firmware max", "to firmware"),
    "text_pattern": ("text pattern", "pattern"),
    "page": ("page",),
}
REQUIRED = ("code", "meaning")


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def preview(self, count: int = 5) -> list[list[str]]:
        return self.rows[:count]


def _check_cells(table: Table) -> Table:
    problems: list[str] = []
    if len(table.headers) < 2:
        raise ImportRefused(
            "The table needs at least two columns (a code and its meaning), with a header row."
        )
    if len(table.headers) > MAX_COLUMNS:
        raise ImportRefused(f"The table has {len(table.headers)} columns; at most {MAX_COLUMNS} are read.")
    if not table.rows:
        raise ImportRefused("The table has a header row but no codes under it.")
    if len(table.rows) > MAX_ROWS:
        raise ImportRefused(f"The table has {len(table.rows)} rows; at most {MAX_ROWS} are imported at once.")
    for index, header in enumerate(table.headers):
        if looks_like_formula(header):
            problems.append(f"Header of column {index + 1} is a spreadsheet formula.")
    for number, row in enumerate(table.rows, start=2):
        if len(row) > len(table.headers):
            problems.append(f"Row {number} has {len(row)} cells but the header has {len(table.headers)}.")
            continue
        row.extend([""] * (len(table.headers) - len(row)))
        for value in row:
            if looks_like_formula(value):
                problems.append(
                    f"Row {number} holds a spreadsheet formula ({value[:30]!r}); formulas are refused."
                )
                break
            if len(value) > MAX_CELL_CHARS:
                problems.append(f"Row {number} has a cell longer than {MAX_CELL_CHARS} characters.")
                break
    if problems:
        raise ImportRefused(f"{len(problems)} row(s) cannot be imported; nothing was changed.", problems)
    return table


def read_csv(data: bytes) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused("The CSV file is not UTF-8 text: save it again as 'CSV UTF-8'.") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        lines = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as error:
        raise ImportRefused(f"The CSV file cannot be read: {error}.") from None
    lines = [row for row in lines if any(row)]
    if not lines:
        raise ImportRefused("The CSV file has no rows.")
    return _check_cells(Table(headers=lines[0], rows=lines[1:]))


def read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        # Formulas are read as formulas (not their cached values) so that they can be refused.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        sheet = workbook.worksheets[0]
        lines = []
        for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1):
            cells = ["" if value is None else str(value).strip() for value in row]
            if any(cells):
                lines.append(cells)
            if len(lines) > MAX_ROWS + 1:
                break
        workbook.close()
    except ImportRefused:
        raise
    except Exception as error:  # openpyxl raises many kinds on damaged workbooks
        raise ImportRefused(f"The workbook cannot be read ({type(error).__name__}).") from None
    if not lines:
        raise ImportRefused("The workbook's first sheet is empty.")
    while lines[0] and not lines[0][-1]:
        lines[0].pop()
    width = len(lines[0])
    rows = [row[:width] if not any(row[width:]) else row for row in lines[1:]]
    return _check_cells(Table(headers=lines[0], rows=rows))


def guess_mapping(headers: list[str]) -> dict[str, int]:
    """Which column fills which draft field, from the header words."""
    mapping: dict[str, int] = {}
    keys = [normalise(header) for header in headers]
    for field_name, words in FIELDS.items():
        for word in words:
            if word in keys and keys.index(word) not in mapping.values():
                mapping[field_name] = keys.index(word)
                break
    return mapping


def validate_mapping(mapping: dict, headers: list[str]) -> dict[str, int]:
    clean: dict[str, int] = {}
    for field_name, column in mapping.items():
        if field_name not in FIELDS or column in ("", None):
            continue
        try:
            column = int(column)
        except (TypeError, ValueError):
            raise ImportRefused(f"The column chosen for {field_name} is not a column number.") from None
        if not 0 <= column < len(headers):
            raise ImportRefused(f"The column chosen for {field_name} does not exist.")
        clean[field_name] = column
    missing = [name for name in REQUIRED if name not in clean]
    if missing:
        raise ImportRefused(f"Choose the column that holds: {', '.join(missing)}.")
    return clean


def _vocabulary_value(value: str, choices) -> str | None:
    key = normalise(value).replace(" ", "_")
    for stored, label in choices:
        if key in (stored, normalise(label).replace(" ", "_")):
            return stored
    return None


def rows_from_table(table: Table, mapping: dict[str, int], categories: dict[str, str]) -> list[DraftRow]:
    """Turn mapped rows into draft rows; any bad row refuses the whole table, listing each problem."""
    problems: list[str] = []
    drafts: list[DraftRow] = []
    seen: dict[tuple, int] = {}
    for number, cells in enumerate(table.rows, start=2):
        values = {name: cells[column].strip() for name, column in mapping.items()}
        row = DraftRow(code=values.get("code", ""), meaning=values.get("meaning", ""), row_number=number)
        if not row.code and not values.get("text_pattern"):
            problems.append(f"Row {number} has no code.")
            continue
        if not row.meaning:
            problems.append(f"Row {number} ({row.code}) has no meaning.")
            continue
        for name in ("next_action", "model_name", "firmware_min", "firmware_max", "text_pattern", "page"):
            setattr(row, name, values.get(name, "")[: 300 if name == "text_pattern" else 2000])
        if values.get("category"):
            category = _vocabulary_value(values["category"], categories.items())
            if category is None:
                problems.append(f"Row {number} ({row.code}): {values['category']!r} is not a known category.")
            row.category = category or ""
        if values.get("severity"):
            severity = _vocabulary_value(values["severity"], Severity.choices)
            if severity is None:
                problems.append(f"Row {number} ({row.code}): {values['severity']!r} is not a severity.")
            row.severity = severity or ""
        if values.get("responsible"):
            responsible = _vocabulary_value(values["responsible"], Responsible.choices)
            if responsible is None:
                problems.append(
                    f"Row {number} ({row.code}): {values['responsible']!r} is not a responsible party."
                )
            row.responsible = responsible or ""
        key = (
            row.code.casefold(),
            row.model_name.casefold(),
            row.firmware_min,
            row.firmware_max,
            row.text_pattern,
        )
        if key in seen:
            problems.append(f"Row {number} repeats code {row.code} of row {seen[key]}.")
            continue
        seen[key] = number
        drafts.append(fill_guesses(row))
    if problems:
        raise ImportRefused(f"{len(problems)} row(s) cannot be imported; nothing was changed.", problems)
    return drafts
