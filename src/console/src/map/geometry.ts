// The geometry of declared volumes as the map draws them: lengths in metres, polygon edges as
// great circles (densified so a long edge is drawn where the server puts it, not as a straight
// line on the Mercator plane), circles as rings of points, altitudes in metres and feet.

import type { Altitude, LatLng, Length, Volume4D } from '../model';

const EARTH_RADIUS_M = 6_371_008.8;
const FOOT_M = 0.3048;
const NAUTICAL_MILE_M = 1852;
/** A point every 10 km along a great-circle edge. */
const DENSIFY_STEP_M = 10_000;

/** A length in metres; null for units the map does not know (M, FT, KM and NM are the API's). */
export function metres(length: Length): number | null {
  switch (length.units.toUpperCase()) {
    case 'M':
      return length.value;
    case 'FT':
      return length.value * FOOT_M;
    case 'KM':
      return length.value * 1000;
    case 'NM':
      return length.value * NAUTICAL_MILE_M;
    case 'FL':
      // A flight level is hundreds of feet (API.md: taken as W84 for deconfliction).
      return length.value * 100 * FOOT_M;
    default:
      return null;
  }
}

export function altitudeMetres(altitude: Altitude | null | undefined): number | null {
  return altitude ? metres(altitude) : null;
}

export function feet(m: number): number {
  return m / FOOT_M;
}

const rad = (d: number) => (d * Math.PI) / 180;
const deg = (r: number) => (r * 180) / Math.PI;

/** The great-circle distance between two points, in metres. */
export function distance(a: LatLng, b: LatLng): number {
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Points along the great circle from a to b (a included, b not), one every `step` metres. */
export function greatCircle(a: LatLng, b: LatLng, step = DENSIFY_STEP_M): LatLng[] {
  const d = distance(a, b);
  const n = Math.ceil(d / step);
  if (n <= 1) {
    return [a];
  }
  const delta = d / EARTH_RADIUS_M;
  const [la1, lo1, la2, lo2] = [rad(a.lat), rad(a.lng), rad(b.lat), rad(b.lng)];
  const points: LatLng[] = [a];
  for (let i = 1; i < n; i++) {
    const f = i / n;
    const A = Math.sin((1 - f) * delta) / Math.sin(delta);
    const B = Math.sin(f * delta) / Math.sin(delta);
    const x = A * Math.cos(la1) * Math.cos(lo1) + B * Math.cos(la2) * Math.cos(lo2);
    const y = A * Math.cos(la1) * Math.sin(lo1) + B * Math.cos(la2) * Math.sin(lo2);
    const z = A * Math.sin(la1) + B * Math.sin(la2);
    points.push({ lat: deg(Math.atan2(z, Math.sqrt(x * x + y * y))), lng: unwrap(deg(Math.atan2(y, x)), a.lng) });
  }
  return points;
}

/** Keeps a longitude within 180 degrees of `near`, so an outline does not jump across the map. */
function unwrap(lng: number, near: number): number {
  while (lng - near > 180) lng -= 360;
  while (lng - near < -180) lng += 360;
  return lng;
}

/** The point at `bearing` (degrees) and `d` metres from `c` on the sphere. */
export function destination(c: LatLng, bearing: number, d: number): LatLng {
  const delta = d / EARTH_RADIUS_M;
  const theta = rad(bearing);
  const la1 = rad(c.lat);
  const lo1 = rad(c.lng);
  const la2 = Math.asin(Math.sin(la1) * Math.cos(delta) + Math.cos(la1) * Math.sin(delta) * Math.cos(theta));
  const lo2 = lo1 + Math.atan2(Math.sin(theta) * Math.sin(delta) * Math.cos(la1), Math.cos(delta) - Math.sin(la1) * Math.sin(la2));
  return { lat: deg(la2), lng: unwrap(deg(lo2), c.lng) };
}

/** A polygon's outline with every edge (the closing one too) densified along its great circle. */
export function polygonOutline(vertices: LatLng[]): LatLng[] {
  const out: LatLng[] = [];
  for (let i = 0; i < vertices.length; i++) {
    const a = vertices[i]!;
    const b = vertices[(i + 1) % vertices.length]!;
    // Keep each vertex's longitude near the previous one (an outline across the antimeridian).
    const prev = out.length ? out[out.length - 1]! : a;
    const from = { lat: a.lat, lng: unwrap(a.lng, prev.lng) };
    out.push(...greatCircle(from, { lat: b.lat, lng: unwrap(b.lng, from.lng) }));
  }
  return out;
}

/** A circle as a ring of points on the sphere: 72 points, more for a large one. */
export function circleOutline(center: LatLng, radiusM: number): LatLng[] {
  const n = Math.max(72, Math.min(360, Math.ceil((2 * Math.PI * radiusM) / DENSIFY_STEP_M)));
  const out: LatLng[] = [];
  for (let i = 0; i < n; i++) {
    out.push(destination(center, (360 * i) / n, radiusM));
  }
  return out;
}

/** The outline of a volume's footprint, or null when it has neither a polygon nor a circle. */
export function outline(volume: Volume4D['volume']): LatLng[] | null {
  if (volume.outline_polygon && volume.outline_polygon.vertices.length >= 3) {
    return polygonOutline(volume.outline_polygon.vertices);
  }
  if (volume.outline_circle) {
    const r = metres(volume.outline_circle.radius);
    if (r !== null && r > 0) {
      return circleOutline(volume.outline_circle.center, r);
    }
  }
  return null;
}

/** The [start, end) of a volume in ms; an open end is +infinity, an open start -infinity. */
export function timeWindow(v: Volume4D): [number, number] {
  const start = v.time_start?.value ? Date.parse(v.time_start.value) : -Infinity;
  const end = v.time_end?.value ? Date.parse(v.time_end.value) : Infinity;
  return [start, end];
}

/** Whether a volume is in force at `t` (its window is half-open: the end is excluded). */
export function activeAt(v: Volume4D, t: number): boolean {
  const [start, end] = timeWindow(v);
  return start <= t && t < end;
}

/** "1200 m (3937 ft)". */
export function metresAndFeet(m: number): string {
  return `${Math.round(m)} m (${Math.round(feet(m))} ft)`;
}

/** The altitude band of a volume: "300 m (984 ft) to 9144 m (30000 ft)". */
export function altitudeBand(v: Volume4D): string {
  const lower = altitudeMetres(v.volume.altitude_lower);
  const upper = altitudeMetres(v.volume.altitude_upper);
  const text = (m: number | null, open: string) => (m === null ? open : metresAndFeet(m));
  return `${text(lower, 'surface')} to ${text(upper, 'unlimited')}`;
}
