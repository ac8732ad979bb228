"""Templates: a comment never shows on a page."""

from __future__ import annotations

import re

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


def test_it_has_an_icon_for_every_share_button() -> None:
    from hashrally.core import networks

    css = (ROOT / "hashrally" / "static" / "hashrally" / "site.css").read_text(encoding="utf-8")
    for code in networks.SHARE_NETWORKS:
        found = re.search(rf'\.net-{code} \{{ --icon: url\("icons/([\w-]+)\.svg"\); \}}', css)
        assert found, code
        icon = ROOT / "hashrally" / "static" / "hashrally" / "icons" / f"{found.group(1)}.svg"
        assert icon.read_text(encoding="utf-8").startswith("<svg"), code
