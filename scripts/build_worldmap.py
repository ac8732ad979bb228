"""Build hashrally/core/data/world.json, the country shapes of the supporters' world map.

Run by hand from the project root when the map data should change; the output is committed, so
the site never fetches map data at run time::

    .venv/bin/python scripts/build_worldmap.py            # fetches world-atlas with `npm pack`
    .venv/bin/python scripts/build_worldmap.py --topojson path/to/countries-110m.json

Source: Natural Earth 1:110m Admin 0 countries (public domain) as packaged in the npm package
`world-atlas` 2.x (ISC licence), file ``countries-110m.json`` (TopoJSON).

Steps:

1. Decode the TopoJSON arcs (quantized, delta-encoded) with the file's transform.
2. Drop Antarctica and cut rings that cross the antimeridian (world-atlas 2 stitches them
   together for d3's spherical clipping) into a piece on each side. Project with Equal Earth
   (Šavrič, Patterson & Jenny 2018) and scale to a viewBox 1000 wide, y pointing down.
3. Round to 0.1 unit, drop repeated points and rings that collapse to fewer than three points.
4. Key each country by ISO 3166-1 alpha-2. world-atlas ids are ISO 3166-1 numeric codes; the
   table to alpha-2 comes from django-countries' own data (``django_countries.data.ALT_CODES``).
   Features without an id are mapped by name in ``BY_NAME``: Kosovo has the user-assigned code
   XK; Somaliland and Northern Cyprus, which ISO 3166-1 counts as parts of Somalia and Cyprus,
   are drawn as part of SO and CY, so supporters counted under those codes fill them too.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from django_countries.data import ALT_CODES

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "hashrally" / "core" / "data" / "world.json"
PACKAGE = "world-atlas@2"
SOURCE = "Natural Earth 110m via world-atlas 2.x (ISC)"
WIDTH = 1000.0
MARGIN = 2.0
DROP = {"010"}  # Antarctica
BY_NAME = {"Kosovo": "XK", "Somaliland": "SO", "N. Cyprus": "CY"}

Point = tuple[float, float]
Ring = list[Point]


def fetch_topojson(workdir: Path) -> Path:
    """Download world-atlas with `npm pack` into workdir and return its countries-110m.json."""
    subprocess.run(
        ["npm", "pack", PACKAGE, "--silent", "--pack-destination", str(workdir)],
        check=True,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
    )
    (tarball,) = workdir.glob("world-atlas-*.tgz")
    print(f"using {tarball.name}", file=sys.stderr)
    with tarfile.open(tarball) as tar:
        tar.extract("package/countries-110m.json", workdir, filter="data")
    return workdir / "package" / "countries-110m.json"


def decode_arcs(topology: dict) -> list[list[Point]]:
    """Absolute longitude/latitude points of every arc of a quantized TopoJSON topology."""
    (kx, ky), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * kx + tx, y * ky + ty))
        arcs.append(points)
    return arcs


def ring_points(indexes: Sequence[int], arcs: list[list[Point]]) -> Ring:
    """Join a ring's arcs; index ~i means arc i reversed. Each arc starts where the last ended."""
    ring: Ring = []
    for index in indexes:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(points[1:] if ring else points)
    return ring


def cut_antimeridian(ring: Ring) -> list[Ring]:
    """Split a longitude/latitude ring that crosses +-180 degrees into rings on each side."""
    if ring and ring[0] == ring[-1]:
        ring = ring[:-1]
    if all(abs(b[0] - a[0]) <= 180 for a, b in zip(ring, ring[1:] + ring[:1], strict=True)):
        return [ring]
    unwrapped = [ring[0]]
    for lon, lat in ring[1:]:
        previous = unwrapped[-1][0]
        lon += 360 * round((previous - lon) / 360)
        unwrapped.append((lon, lat))
    if abs(unwrapped[-1][0] - unwrapped[0][0]) > 180:
        raise ValueError("a ring around a pole cannot be cut at the antimeridian")
    pieces = []
    for shift in (-360, 0, 360):
        piece = [(lon + shift, lat) for lon, lat in unwrapped]
        piece = clip(clip(piece, 180.0, 1), -180.0, -1)
        if len(piece) >= 3:
            pieces.append(densify_edge(piece))
    return pieces


def clip(ring: Ring, edge: float, side: int) -> Ring:
    """Sutherland-Hodgman: the part of ring with side * lon <= side * edge."""
    inside = [side * lon <= side * edge for lon, _ in ring]
    out: Ring = []
    for i, (point, point_in) in enumerate(zip(ring, inside, strict=True)):
        last, last_in = ring[i - 1], inside[i - 1]
        if point_in != last_in:
            t = (edge - last[0]) / (point[0] - last[0])
            out.append((edge, last[1] + t * (point[1] - last[1])))
        if point_in:
            out.append(point)
    return out


def densify_edge(ring: Ring, step: float = 1.0) -> Ring:
    """Add points every step degrees along the antimeridian, which Equal Earth curves."""
    out: Ring = []
    for i, (lon, lat) in enumerate(ring):
        previous_lon, previous_lat = ring[i - 1]
        if abs(lon) == 180 and lon == previous_lon:
            count = int(abs(lat - previous_lat) // step)
            for k in range(1, count + 1):
                out.append((lon, previous_lat + (lat - previous_lat) * k / (count + 1)))
        out.append((lon, lat))
    return out


def polygons(geometry: dict) -> Iterator[list[Sequence[int]]]:
    if geometry["type"] == "Polygon":
        yield geometry["arcs"]
    elif geometry["type"] == "MultiPolygon":
        yield from geometry["arcs"]


# Equal Earth constants.
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2


def equal_earth(lon: float, lat: float) -> Point:
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x, -y  # SVG's y points down


def fmt(value: int) -> str:
    """Tenths of a unit as a short decimal: 1234 -> "123.4", -50 -> "-5", 0 -> "0"."""
    text = f"{value / 10:.1f}"
    return text[:-2] if text.endswith(".0") else text


def path_data(rings: list[list[tuple[int, int]]]) -> str:
    parts = []
    for ring in rings:
        coords = " ".join(f"{fmt(x)},{fmt(y)}" for x, y in ring)
        parts.append(f"M{coords}Z")
    return "".join(parts)


def build(topology: dict) -> dict:
    arcs = decode_arcs(topology)
    shapes: dict[str, list[list[Point]]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        numeric = geometry.get("id")
        name = geometry.get("properties", {}).get("name", "")
        if numeric in DROP:
            continue
        code = NUMERIC_TO_ALPHA2.get(int(numeric)) if numeric else BY_NAME.get(name)
        if code is None:
            print(f"skipped: id={numeric!r} name={name!r}", file=sys.stderr)
            continue
        for polygon in polygons(geometry):
            for indexes in polygon:
                for piece in cut_antimeridian(ring_points(indexes, arcs)):
                    ring = [equal_earth(lon, lat) for lon, lat in piece]
                    shapes.setdefault(code, []).append(ring)

    xs = [x for rings in shapes.values() for ring in rings for x, _ in ring]
    ys = [y for rings in shapes.values() for ring in rings for _, y in ring]
    scale = (WIDTH - 2 * MARGIN) / (max(xs) - min(xs))
    x0, y0 = min(xs) - MARGIN / scale, min(ys) - MARGIN / scale
    height = math.ceil((max(ys) - y0) * scale + MARGIN)

    countries = {}
    for code in sorted(shapes):
        rings = []
        for ring in shapes[code]:
            tenths: list[tuple[int, int]] = []
            for x, y in ring:
                point = (round((x - x0) * scale * 10), round((y - y0) * scale * 10))
                if not tenths or point != tenths[-1]:
                    tenths.append(point)
            if len(tenths) > 1 and tenths[0] == tenths[-1]:
                tenths.pop()  # "Z" closes the ring
            if len(set(tenths)) >= 3:
                rings.append(tenths)
        if rings:
            countries[code] = path_data(rings)
        else:
            print(f"skipped: {code} is too small at this scale", file=sys.stderr)
    return {"viewBox": f"0 0 {WIDTH:g} {height}", "source": SOURCE, "countries": countries}


NUMERIC_TO_ALPHA2 = {numeric: alpha2 for alpha2, (_, numeric) in ALT_CODES.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--topojson", type=Path, help="countries-110m.json (default: npm pack)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        source = args.topojson or fetch_topojson(Path(tmp))
        topology = json.loads(source.read_text(encoding="utf-8"))
    data = build(topology)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n", encoding="utf-8")
    print(f"{args.output}: {len(data['countries'])} countries, {len(text) + 1} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
