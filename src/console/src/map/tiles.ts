// Cutting the basemap into pieces Leaflet can skip. Leaflet clips and redraws every path whose
// bounds touch the view on each move; Natural Earth's Afro-Eurasia is one polygon of tens of
// thousands of points, always in view. Cut into 10-degree cells (filled, not stroked: the cut
// edges must not show) and coastlines cut into short lines, a move redraws only what is in view.

type Point = GeoJSON.Position;

const CELL_DEG = 10;
const LINE_POINTS = 200;

/** Sutherland-Hodgman: the part of a ring inside one axis-aligned half-plane. */
function clipEdge(ring: Point[], inside: (p: Point) => boolean, cross: (a: Point, b: Point) => Point): Point[] {
  const out: Point[] = [];
  for (let i = 0; i < ring.length; i++) {
    const a = ring[i]!;
    const b = ring[(i + 1) % ring.length]!;
    const aIn = inside(a);
    const bIn = inside(b);
    if (aIn) out.push(a);
    if (aIn !== bIn) out.push(cross(a, b));
  }
  return out;
}

function clipRing(ring: Point[], west: number, south: number, east: number, north: number): Point[] {
  const atX = (x: number) => (a: Point, b: Point): Point => [x, a[1]! + ((b[1]! - a[1]!) * (x - a[0]!)) / (b[0]! - a[0]!)];
  const atY = (y: number) => (a: Point, b: Point): Point => [a[0]! + ((b[0]! - a[0]!) * (y - a[1]!)) / (b[1]! - a[1]!), y];
  let r = clipEdge(ring, (p) => p[0]! >= west, atX(west));
  r = clipEdge(r, (p) => p[0]! <= east, atX(east));
  r = clipEdge(r, (p) => p[1]! >= south, atY(south));
  return clipEdge(r, (p) => p[1]! <= north, atY(north));
}

function bounds(ring: Point[]): [number, number, number, number] {
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of ring) {
    if (x! < w) w = x!;
    if (x! > e) e = x!;
    if (y! < s) s = y!;
    if (y! > n) n = y!;
  }
  return [w, s, e, n];
}

/** A polygon (rings of [lng, lat], the first the outer one) as pieces no larger than a cell. */
export function cutPolygon(rings: Point[][]): Point[][][] {
  const outer = rings[0];
  if (!outer || outer.length < 4) return [];
  const [w, s, e, n] = bounds(outer);
  if (e - w <= CELL_DEG && n - s <= CELL_DEG) return [rings];
  const pieces: Point[][][] = [];
  for (let x = Math.floor(w / CELL_DEG) * CELL_DEG; x < e; x += CELL_DEG) {
    for (let y = Math.floor(s / CELL_DEG) * CELL_DEG; y < n; y += CELL_DEG) {
      const first = clipRing(outer, x, y, x + CELL_DEG, y + CELL_DEG);
      if (first.length < 3) continue;
      pieces.push([first, ...rings.slice(1).map((ring) => clipRing(ring, x, y, x + CELL_DEG, y + CELL_DEG)).filter((ring) => ring.length >= 3)]);
    }
  }
  return pieces;
}

/** A line as consecutive pieces of at most LINE_POINTS points (each sharing its first point with the last one's end). */
export function cutLine(line: Point[]): Point[][] {
  if (line.length <= LINE_POINTS) return [line];
  const pieces: Point[][] = [];
  for (let i = 0; i < line.length - 1; i += LINE_POINTS - 1) {
    pieces.push(line.slice(i, i + LINE_POINTS));
  }
  return pieces;
}
