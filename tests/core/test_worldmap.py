"""The supporters' world map: shipped shapes, colour classes, escaping, accessibility."""

from __future__ import annotations

import itertools
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hashrally.core import worldmap
from hashrally.core.worldmap import WorldMap, bucket, legend, render_world_map, world_data

SVG = "{http://www.w3.org/2000/svg}"
DATA = Path(worldmap.__file__).with_name("data") / "world.json"
NAMES = {"AZ": "Azerbaijan", "TR": "Türkiye", "DE": "Germany", "US": "United States"}


def parse(world: WorldMap) -> ET.Element:
    return ET.fromstring(str(world.svg))  # noqa: S314 - our own output, parsed to check it


def paths_by_country(world: WorldMap) -> dict[str, ET.Element]:
    root = parse(world)
    return {path.get("data-country", ""): path for path in root.iter(f"{SVG}path")}


def test_it_ships_shapes_for_large_countries() -> None:
    paths = paths_by_country(render_world_map({}, {}, "Map", "No supporters yet"))
    for code in ("AZ", "TR", "RU", "DE", "US", "BR", "CN", "IN", "AU", "FR", "GB", "XK"):
        assert code in paths
        assert re.fullmatch(r"(M[-0-9., ]+Z)+", paths[code].get("d", ""))
    assert "AQ" not in paths  # Antarctica is dropped
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in paths)


def test_it_keeps_the_data_file_small() -> None:
    assert DATA.stat().st_size < 200_000
    data = json.loads(DATA.read_text("utf-8"))
    assert data["source"] == "Natural Earth 110m via world-atlas 2.x (ISC)"
    assert re.fullmatch(r"0 0 1000 \d+", data["viewBox"])
    assert len(data["countries"]) > 150


def test_it_keeps_shapes_inside_the_view_box_without_streaks() -> None:
    data = world_data()
    _, _, width, height = (float(n) for n in data["viewBox"].split())
    for code, d in data["countries"].items():
        for ring in re.findall(r"M([^MZ]+)Z", d):
            points = [tuple(map(float, pair.split(","))) for pair in ring.split()]
            assert len(points) >= 3, code
            assert all(0 <= x <= width and 0 <= y <= height for x, y in points), code
            # A ring crossing the antimeridian uncut would jump across the whole map.
            closed = [*points, points[0]]
            assert all(abs(b[0] - a[0]) < width / 4 for a, b in itertools.pairwise(closed)), code


def test_it_puts_countries_without_supporters_in_c0() -> None:
    paths = paths_by_country(render_world_map({"AZ": 3, "TR": 0}, NAMES, "Map", "d"))
    assert paths["TR"].get("class") == "c0"
    assert paths["DE"].get("class") == "c0"
    assert paths["DE"].find(f"{SVG}title") is None
    assert paths["AZ"].get("class") != "c0"


def test_it_shows_one_supporter_apart_from_none() -> None:
    paths = paths_by_country(render_world_map({"DE": 1, "AZ": 50_000}, NAMES, "Map", "d"))
    assert paths["DE"].get("class") == "c1"
    assert paths["AZ"].get("class") == "c5"
    assert paths["US"].get("class") == "c0"


def test_it_gives_larger_counts_higher_classes() -> None:
    counts = {"AZ": 1, "TR": 5, "RU": 40, "DE": 300, "US": 2_000, "BR": 10_000}
    paths = paths_by_country(render_world_map(counts, NAMES, "Map", "d"))
    classes = [int(paths[code].get("class", "")[1:]) for code in counts]
    assert classes == sorted(classes)
    assert classes[0] == 1
    assert classes[-1] == 5
    assert len(set(classes)) >= 4


@pytest.mark.parametrize("top", [1, 2, 3, 5, 20, 99, 1_000, 10_000, 100_000, 123_457])
def test_it_buckets_monotonically_and_agrees_with_the_legend(top: int) -> None:
    counts = range(1, min(top, 3_000) + 1)
    buckets = [bucket(n, top) for n in counts]
    assert buckets == sorted(buckets)
    assert bucket(0, top) == 0
    assert bucket(1, top) == 1
    assert bucket(top, top) == (5 if top > 1 else 1)
    ranges = legend(top)
    assert len(ranges) == 5
    for cls, bounds in enumerate(ranges, start=1):
        if bounds is not None:
            low, high = bounds
            assert bucket(low, top) == cls
            assert bucket(high, top) == cls
            assert low == 1 or bucket(low - 1, top) < cls
            assert high == top or bucket(high + 1, top) > cls


def test_it_uses_round_decades_for_a_top_of_100000() -> None:
    assert legend(100_000) == [(1, 9), (10, 99), (100, 999), (1000, 9999), (10000, 100000)]
    assert legend(0) == [None] * 5


def test_it_titles_countries_with_names_in_the_callers_language() -> None:
    paths = paths_by_country(render_world_map({"tr": 2, "RU": 7}, NAMES, "Map", "d"))
    assert paths["TR"].findtext(f"{SVG}title") == "Türkiye: 2"
    assert paths["RU"].findtext(f"{SVG}title") == "RU: 7"  # no name given: the code


def test_it_escapes_names_title_and_description() -> None:
    evil = '<script>alert("x")</script> & co'
    world = render_world_map({"AZ": 1}, {"AZ": evil}, f"T {evil}", f"D {evil}")
    assert "<script>" not in world.svg
    assert "&lt;script&gt;" in world.svg
    root = parse(world)
    assert root.findtext(f"{SVG}title") == f"T {evil}"
    assert root.findtext(f"{SVG}desc") == f"D {evil}"
    assert paths_by_country(world)["AZ"].findtext(f"{SVG}title") == f"{evil}: 1"


def test_it_reports_countries_with_supporters_but_no_shape() -> None:
    world = render_world_map({"SG": 4, "MC": 1, "BH": 0, "AZ": 2, "ZZ": 1}, {}, "Map", "d")
    assert world.unmapped == ["MC", "SG", "ZZ"]
    assert "AZ" not in world.unmapped
    assert 'data-country="SG"' not in world.svg


def test_it_is_an_accessible_svg_image() -> None:
    world = render_world_map({"AZ": 1}, NAMES, "Supporters by country", "AZ: 1")
    root = parse(world)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.get("preserveAspectRatio")
    assert root.get("viewBox") == world_data()["viewBox"]
    title_id, desc_id = root.get("aria-labelledby", "").split()
    assert root.find(f"{SVG}title[@id='{title_id}']") is not None
    assert root.find(f"{SVG}desc[@id='{desc_id}']") is not None
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids))
    style = root.findtext(f"{SVG}style") or ""
    assert ".hr-worldmap .c1{fill:" in style  # scoped: does not restyle the rest of the page
    assert "stroke:#fff" in style


def test_it_lets_two_maps_share_a_page() -> None:
    first = render_world_map({}, {}, "One", "d", id_prefix="map-a")
    second = render_world_map({}, {}, "Two", "d", id_prefix="map-b")
    assert 'id="map-a-title"' in first.svg
    assert 'id="map-b-title"' in second.svg
    with pytest.raises(ValueError):
        render_world_map({}, {}, "Bad", "d", id_prefix='x" onload="alert(1)')
