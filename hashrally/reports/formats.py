"""Every file the reports write, each format in one place: the report as JSON, CSV (one figure
a row), HTML or PDF, for `hashrally report` and the dashboard's downloads; and a campaign's
posts and authors as CSV. CSV exports only yield rows: `csv_lines` writes them, with defusedcsv
so that no cell opens as a formula in a spreadsheet."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from hashrally.core.csvfile import csv_lines
from hashrally.reports import documents, exports
from hashrally.reports.types import Report

CSV_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class ReportFormat:
    """The report as one kind of file."""

    name: str
    content_type: str
    extension: str
    write: Callable[[Report], bytes]

    def filename(self, slug: str) -> str:
        return f"{slug}-report.{self.extension}"


@dataclass(frozen=True)
class RowsExport:
    """A CSV export of a campaign's rows: `rows` only yields them (from the campaign's id)."""

    name: str
    header: Sequence[str]
    rows: Callable[[int], Iterable[Sequence[object]]]
    content_type: str = CSV_TYPE
    extension: str = "csv"

    def filename(self, slug: str) -> str:
        return f"{slug}-{self.name}.{self.extension}"

    def lines(self, campaign_id: int) -> Iterator[str]:
        return csv_lines(self.header, self.rows(campaign_id))


def flatten(value: object, prefix: str = "") -> list[tuple[str, str]]:
    """The report as (figure, value) rows: nested keys joined with dots, list items numbered."""
    if isinstance(value, dict):
        return [
            row for k, v in value.items() for row in flatten(v, f"{prefix}.{k}" if prefix else k)
        ]
    if isinstance(value, list):
        return [row for i, v in enumerate(value) for row in flatten(v, f"{prefix}.{i}")]
    return [(prefix, "" if value is None else str(value))]


def _json(report: Report) -> bytes:
    return (json.dumps(report, ensure_ascii=False, indent=1) + "\n").encode()


def _csv(report: Report) -> bytes:
    return "".join(csv_lines(("figure", "value"), flatten(report))).encode()


def _html(report: Report) -> bytes:
    return documents.html_report(report).encode()


JSON = ReportFormat("json", "application/json", "json", _json)
CSV = ReportFormat("csv", CSV_TYPE, "csv", _csv)
HTML = ReportFormat("html", "text/html; charset=utf-8", "html", _html)
PDF = ReportFormat("pdf", "application/pdf", "pdf", documents.pdf_report)
REPORT_FORMATS: dict[str, ReportFormat] = {f.name: f for f in (JSON, CSV, HTML, PDF)}

POSTS = RowsExport("posts", exports.POST_COLUMNS, exports.post_rows)
AUTHORS = RowsExport("authors", exports.AUTHOR_COLUMNS, exports.author_rows)
