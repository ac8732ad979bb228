"""Templates: a comment never shows on a page."""

from __future__ import annotations

from tests.fakes import ROOT


def test_it_writes_only_one_line_comments_with_braces() -> None:
    """Django's {# #} comment ends at the line's end: one over two lines shows on the page."""
    broken = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "hashrally").rglob("*.html")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert broken == []
