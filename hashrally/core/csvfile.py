"""Every CSV hashrally writes: streamed line by line, safe to open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from defusedcsv import csv  # type: ignore[import-untyped]


class _Echo:
    """A file that hands back what is written to it: the CSV writer makes lines to stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """`header` and `rows` as CSV lines; defusedcsv writes a cell a spreadsheet would run as a
    formula (=, +, -, @, |, %) as text."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)
