"""Manuals become draft entries that go live only after review; bad files change nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledgebase.actions import approve_all, approve_entry
from knowledgebase.importers import ImportRefused
from knowledgebase.importers.manuals import apply_mapping, start_import
from knowledgebase.models import ChargerModel, CodeEntry, Manual, Manufacturer, UnknownCode
from knowledgebase.translate import Report, record_unknown, translate
from knowledgebase.vocabulary import Category, EntryStatus, ImportStatus, ManualKind
from tests.knowledgebase import manuals

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(knowledge):
    maker = Manufacturer.objects.create(name="Acme Charging", aliases="ACME")
    ChargerModel.objects.create(manufacturer=maker, name="DC60", name_patterns="DC60*")
    return maker


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media_root):
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


def acme_e205():
    return translate(Report(vendor="ACME", error_code="OtherError", vendor_error_code="E205"))


def test_a_csv_manual_becomes_drafts_after_mapping_and_live_after_approval(acme, kb_admin):
    manual = start_import(manuals.csv_file(), manufacturer=acme, version="1.0", user=kb_admin)
    assert manual.status == ImportStatus.AWAITING_MAPPING
    assert manual.kind == ManualKind.CSV
    assert manual.report["headers"] == ["Error code", "Description", "Remedy"]
    assert manual.column_mapping == {"code": 0, "meaning": 1, "next_action": 2}
    assert not CodeEntry.objects.filter(manufacturer=acme).exists()

    apply_mapping(manual, {"code": "0", "meaning": "1", "next_action": "2"})
    manual.refresh_from_db()
    assert manual.status == ImportStatus.IN_REVIEW
    drafts = CodeEntry.objects.filter(manual=manual)
    assert drafts.count() == 3 and all(entry.status == EntryStatus.DRAFT for entry in drafts)
    assert drafts.get(code="E101").category == Category.EMERGENCY_STOP  # a guess to review
    assert acme_e205().matched_by != "manufacturer"

    approve_all(manual, kb_admin)
    manual.refresh_from_db()
    assert manual.status == ImportStatus.DONE
    found = acme_e205()
    assert (found.matched_by, found.meaning) == ("manufacturer", "Cooling fan failure")
    assert CodeEntry.objects.get(manual=manual, code="E205").approved_by == kb_admin


def test_an_xlsx_manual_imports_with_a_given_mapping(acme, kb_admin):
    manual = start_import(
        manuals.xlsx_file(),
        manufacturer=acme,
        user=kb_admin,
        mapping={"code": 0, "meaning": 1, "next_action": 2},
    )
    assert (manual.kind, manual.status) == (ManualKind.XLSX, ImportStatus.IN_REVIEW)
    assert set(manual.entries.values_list("code", flat=True)) == {"E101", "E205", "0x6012"}
    approve_entry(manual.entries.get(code="E205"), kb_admin)
    assert acme_e205().meaning == "Cooling fan failure"
    manual.refresh_from_db()
    assert manual.status == ImportStatus.IN_REVIEW  # two drafts still wait


def test_a_generated_pdf_manual_is_read_into_drafts_with_pages(acme, kb_admin):
    model = acme.charger_models.get()
    manual = start_import(
        manuals.pdf_file(), manufacturer=acme, charger_models=[model], version="2.2", user=kb_admin
    )
    assert (manual.kind, manual.status) == (ManualKind.PDF, ImportStatus.IN_REVIEW)
    drafts = {entry.code: entry for entry in manual.entries.all()}
    assert set(drafts) == {"E101", "E205", "0x6012"}
    assert drafts["E205"].meaning == "Cooling fan failure"
    assert drafts["E205"].next_action == "Replace the fan"
    assert drafts["E205"].manual_page == "1"
    assert drafts["E205"].charger_model == model  # a manual for one model scopes its codes to it
    report = Report(vendor="ACME", model="DC60-EU", error_code="OtherError", vendor_error_code="E205")
    assert translate(report).matched_by != "model"
    approve_all(manual, kb_admin)
    assert translate(report).matched_by == "model"


def test_reimporting_a_newer_version_shows_what_changed_and_replaces_on_approval(acme, kb_admin):
    first = start_import(
        manuals.csv_file(), manufacturer=acme, version="1.0", user=kb_admin, mapping={"code": 0, "meaning": 1}
    )
    approve_all(first, kb_admin)
    newer_rows = [
        ("E101", "Emergency stop button pressed", ""),
        ("E205", "Cooling fan speed too low", ""),
        ("E300", "Door open", ""),
    ]
    second = start_import(
        manuals.csv_file(newer_rows),
        manufacturer=acme,
        version="1.1",
        user=kb_admin,
        mapping={"code": 0, "meaning": 1},
    )
    changes = second.report["changes"]
    assert changes["added"] == ["E300"]
    assert changes["changed"] == [
        {"code": "E205", "before": "Cooling fan failure", "after": "Cooling fan speed too low"}
    ]
    assert changes["removed"] == ["0x6012"]
    assert changes["unchanged"] == 1
    approve_all(second, kb_admin)
    assert acme_e205().meaning == "Cooling fan speed too low"
    assert CodeEntry.objects.get(manual=first, code="E205").status == EntryStatus.RETIRED


def test_approving_an_entry_takes_its_code_out_of_the_unknown_queue(acme, kb_admin):
    from django.utils import timezone

    report = Report(vendor="ACME", error_code="OtherError", vendor_error_code="E205", info="fan")
    record_unknown(report, "CP-1", timezone.now())
    record_unknown(report, "CP-2", timezone.now())
    unknown = UnknownCode.objects.get(code="E205")
    assert (unknown.occurrences, unknown.affected_chargers) == (2, 2)
    manual = start_import(
        manuals.csv_file(), manufacturer=acme, user=kb_admin, mapping={"code": 0, "meaning": 1}
    )
    approve_entry(manual.entries.get(code="E205"), kb_admin)
    unknown.refresh_from_db()
    assert unknown.resolved_by is not None


# --- Refusals: a clear message, and nothing left behind ---------------------------------------


def assert_nothing_left(media_root):
    assert not Manual.objects.exists()
    assert not CodeEntry.objects.filter(manufacturer__name="Acme Charging").exists()
    assert stored_files(media_root) == []


def test_a_fake_pdf_is_refused(acme, kb_admin, media_in_tmp):
    fake = SimpleUploadedFile("manual.pdf", b"MZ\x90\x00this is an executable, not a manual")
    with pytest.raises(ImportRefused, match="named .pdf but its content is not a PDF"):
        start_import(fake, manufacturer=acme, user=kb_admin)
    assert_nothing_left(media_in_tmp)


def test_a_damaged_pdf_is_refused(acme, kb_admin, media_in_tmp):
    broken = SimpleUploadedFile("manual.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 200)
    with pytest.raises(ImportRefused, match="cannot be read as one"):
        start_import(broken, manufacturer=acme, user=kb_admin)
    assert_nothing_left(media_in_tmp)


def test_an_oversized_file_is_refused(acme, kb_admin, settings, media_in_tmp):
    settings.MAX_UPLOAD_BYTES = 2048
    big = manuals.csv_file([(f"E{i}", "Something long enough to grow the file", "Act") for i in range(200)])
    with pytest.raises(ImportRefused, match="limited to 2.0"):
        start_import(big, manufacturer=acme, user=kb_admin)
    assert_nothing_left(media_in_tmp)


def test_a_csv_with_bad_rows_is_refused_row_by_row(acme, kb_admin, media_in_tmp):
    rows = [("E1", "Fine", "x"), ("", "No code here", "x"), ("E3", "", "x"), ("E1", "Again", "x")]
    with pytest.raises(ImportRefused) as refused:
        start_import(
            manuals.csv_file(rows), manufacturer=acme, user=kb_admin, mapping={"code": 0, "meaning": 1}
        )
    assert "nothing was changed" in refused.value.message
    assert refused.value.details == [
        "Row 3 has no code.",
        "Row 4 (E3) has no meaning.",
        "Row 5 repeats code E1 of row 2.",
    ]
    assert_nothing_left(media_in_tmp)


def test_a_csv_row_with_too_many_cells_is_refused_at_upload(acme, kb_admin, media_in_tmp):
    upload = SimpleUploadedFile("m.csv", b"code,meaning\nE1,ok\nE2,too,many,cells\n")
    with pytest.raises(ImportRefused) as refused:
        start_import(upload, manufacturer=acme, user=kb_admin)
    assert refused.value.details == ["Row 3 has 4 cells but the header has 2."]
    assert_nothing_left(media_in_tmp)


@pytest.mark.parametrize(
    "payload", ['=HYPERLINK("http://evil")', "@SUM(A1)", "-2+3+cmd|' /C calc'!A0", "+cmd|x"]
)
def test_spreadsheet_formulas_are_refused(acme, kb_admin, media_in_tmp, payload):
    with pytest.raises(ImportRefused) as refused:
        start_import(manuals.csv_file([("E1", payload, "")]), manufacturer=acme, user=kb_admin)
    assert "formula" in refused.value.details[0]
    assert_nothing_left(media_in_tmp)


def test_plain_text_that_starts_with_a_sign_is_not_a_formula(acme, kb_admin):
    manual = start_import(
        manuals.csv_file([("E1", "+5V rail low", ""), ("E2", "-12 V missing", "")]),
        manufacturer=acme,
        user=kb_admin,
        mapping={"code": 0, "meaning": 1},
    )
    assert manual.entries.count() == 2


def test_a_formula_in_a_workbook_is_refused(acme, kb_admin, media_in_tmp):
    upload = SimpleUploadedFile("m.xlsx", manuals.xlsx_bytes([("E1", "=1+1", "")]))
    with pytest.raises(ImportRefused):
        start_import(upload, manufacturer=acme, user=kb_admin)
    assert_nothing_left(media_in_tmp)


def test_a_zip_bomb_workbook_is_refused_before_it_is_unpacked(acme, kb_admin, media_in_tmp):
    with pytest.raises(ImportRefused, match="zip bomb"):
        start_import(manuals.zip_bomb_xlsx(), manufacturer=acme, user=kb_admin)
    assert_nothing_left(media_in_tmp)


def test_a_workbook_with_an_entity_bomb_is_refused(acme, kb_admin, media_in_tmp):
    with pytest.raises(ImportRefused, match="cannot be read"):
        start_import(manuals.entity_bomb_xlsx(), manufacturer=acme, user=kb_admin)
    assert_nothing_left(media_in_tmp)


def test_a_pdf_without_a_code_table_is_refused(acme, kb_admin, media_in_tmp):
    upload = SimpleUploadedFile("notes.pdf", manuals.pdf_bytes(rows=[]))
    with pytest.raises(ImportRefused, match="No code table"):
        start_import(upload, manufacturer=acme, user=kb_admin)
    assert_nothing_left(media_in_tmp)


def test_a_mapping_without_the_code_column_is_refused_and_the_manual_waits(acme, kb_admin):
    manual = start_import(manuals.csv_file(), manufacturer=acme, user=kb_admin)
    with pytest.raises(ImportRefused, match="code"):
        apply_mapping(manual, {"meaning": "1"})
    manual.refresh_from_db()
    assert manual.status == ImportStatus.AWAITING_MAPPING
    assert not manual.entries.exists()


def test_the_content_decides_the_type_not_the_name(acme, kb_admin):
    disguised = SimpleUploadedFile("codes.txt", manuals.pdf_bytes())
    manual = start_import(disguised, manufacturer=acme, user=kb_admin)
    assert manual.kind == ManualKind.PDF


def test_model_and_firmware_columns_scope_the_drafts(acme, kb_admin):
    rows = [("E1", "Pump dry", "DC60", "2.0", "2.9"), ("E1", "Pump sensor glitch", "DC60", "3.0", "")]
    upload = manuals.csv_file(rows, header=("Code", "Meaning", "Model", "Firmware from", "Firmware to"))
    manual = start_import(upload, manufacturer=acme, user=kb_admin)
    assert manual.column_mapping == {
        "code": 0,
        "meaning": 1,
        "model_name": 2,
        "firmware_min": 3,
        "firmware_max": 4,
    }
    apply_mapping(manual, manual.column_mapping)
    approve_all(manual, kb_admin)
    old = translate(Report(vendor="ACME", model="DC60", firmware="2.4", vendor_error_code="E1"))
    new = translate(Report(vendor="ACME", model="DC60", firmware="3.1", vendor_error_code="E1"))
    assert (old.matched_by, old.meaning) == ("model_firmware", "Pump dry")
    assert (new.matched_by, new.meaning) == ("model_firmware", "Pump sensor glitch")


def test_a_row_naming_a_model_the_manufacturer_does_not_have_is_refused(acme, kb_admin, media_in_tmp):
    upload = manuals.csv_file([("E1", "Pump dry", "XR-9")], header=("Code", "Meaning", "Model"))
    manual = start_import(upload, manufacturer=acme, user=kb_admin)
    with pytest.raises(ImportRefused) as refused:
        apply_mapping(manual, manual.column_mapping)
    assert refused.value.details == ["Row 2: 'XR-9' is not a model of Acme Charging; add the model first."]
    assert not CodeEntry.objects.filter(manual=manual).exists()
