"""The report as files that stand alone: one HTML document that loads nothing, and an A4 PDF,
both in the active language."""

from __future__ import annotations

from importlib import resources
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from hashrally.reports.presentation import SECTIONS, report_view
from hashrally.reports.types import Report


def html_report(report: Report) -> str:
    """The report as one HTML document that loads nothing: styles inline, charts inline SVG."""
    return render_to_string("reports/report.html", _document_context(report, print_css=False))


def pdf_report(report: Report) -> bytes:
    """The report as an A4 PDF, in the active language."""
    # WeasyPrint loads Pango, cairo's font machinery and fontTools: only PDF output pays for it.
    import weasyprint  # type: ignore[import-untyped]

    html = render_to_string("reports/report.html", _document_context(report, print_css=True))
    # No base_url and a fetcher that refuses everything: the document needs nothing from outside,
    # and a link's address in user data must never become a request.
    document = weasyprint.HTML(string=html, url_fetcher=_refuse_fetch)
    pdf: bytes = document.write_pdf()
    return pdf


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"reports load nothing from outside; refused {url[:80]!r}")


def _document_context(report: Report, *, print_css: bool) -> dict[str, Any]:
    return {
        "report": report,
        "published": list(SECTIONS),
        "view": report_view(report, for_print=print_css),
        "print": print_css,
        "component_css": reports_css(),
    }


def reports_css() -> SafeString:
    """The report components' stylesheet, for documents that must carry their styles inline."""
    text = resources.files("hashrally.reports").joinpath("static", "reports", "reports.css")
    # Our own file; "</" cannot close the <style> element early because the file has none.
    return mark_safe(text.read_text("utf-8"))  # noqa: S308
