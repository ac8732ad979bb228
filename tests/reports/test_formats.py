"""The files the reports write: one place for each format, CSV a spreadsheet opens as text."""

from __future__ import annotations

import json

from hashrally.reports import formats
from tests.reports.fakes import sample_report

FORMULA = "=cmd|' /C calc'!A0"


def test_it_writes_a_formula_cell_as_text() -> None:
    lines = list(formats.csv_lines(["cell", "n"], [[FORMULA, -5], ["@SUM(A1)", 3]]))
    assert lines == ["cell,n\r\n", "'=cmd\\|' /C calc'!A0,-5\r\n", "'@SUM(A1),3\r\n"]


def test_it_writes_the_report_as_csv_one_figure_a_row_and_safe() -> None:
    report = sample_report()
    report["campaign"]["title"] = FORMULA
    text = formats.REPORT_FORMATS["csv"].write(report).decode()
    assert text.startswith("figure,value\r\n")
    assert "\r\ncampaign.title,'=cmd\\|' /C calc'!A0\r\n" in text
    assert "\r\nposts.total,1234\r\n" in text


def test_it_names_each_format_once() -> None:
    assert list(formats.REPORT_FORMATS) == ["json", "csv", "html", "pdf"]
    assert formats.JSON.filename("khojaly") == "khojaly-report.json"
    assert formats.POSTS.filename("khojaly") == "khojaly-posts.csv"
    assert formats.PDF.content_type == "application/pdf"
    report = sample_report()
    assert json.loads(formats.JSON.write(report)) == report
