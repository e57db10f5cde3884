"""Cells of the CSV exports (registrants, ideas) that a spreadsheet opens safely."""

# A cell starting with one of these is read as a formula by Excel, LibreOffice and Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """`value` as a cell a spreadsheet will not run as a formula: a leading apostrophe
    before a formula character; None as an empty cell."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text
