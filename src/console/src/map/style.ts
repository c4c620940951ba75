// How each kind of volume looks. A canvas cannot read CSS variables, so the theme's colours are
// read once per theme (`palette()`) and handed to Leaflet as plain colours. Each state has a
// shape as well as a colour: own operations filled, other parties' outlined, exclusive zones
// hatched, protected zones a thick ring, advisory zones dashed, conflicts dotted.

import type * as L from 'leaflet';
import type { ZoneRule } from '../model';

export interface Palette {
  theme: string;
  focus: string;
  loss: string;
  text: string;
  /** Colours given to parties in order of their ids (own party first). */
  parties: string[];
}

const DARK_PARTIES = ['#5cb3ff', '#ff7a7a', '#7ee081', '#d59cff', '#ffb347', '#4fd1c5', '#f78fb3', '#c9d36a'];
const LIGHT_PARTIES = ['#0a58ca', '#c2262e', '#1a7f37', '#7a3fc0', '#b35000', '#0f7c74', '#b0306a', '#6b7a00'];

export function palette(): Palette {
  const css = getComputedStyle(document.documentElement);
  const theme = document.documentElement.dataset.theme === 'light' ? 'light' : 'dark';
  const read = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    theme,
    focus: read('--focus', '#ffd33d'),
    loss: read('--loss', '#ff5d5d'),
    text: read('--text', '#e6edf3'),
    parties: theme === 'light' ? LIGHT_PARTIES : DARK_PARTIES,
  };
}

/** A stable colour per party: the own party first, then the others in order of their ids. */
export function partyColours(partyIds: Iterable<string>, own: string | null, colours: string[]): Map<string, string> {
  const ids = [...new Set(partyIds)].sort();
  const ordered = own && ids.includes(own) ? [own, ...ids.filter((id) => id !== own)] : ids;
  return new Map(ordered.map((id, i) => [id, colours[i % colours.length]!]));
}

const hatches = new Map<string, CanvasPattern | string>();

/**
 * A diagonal hatch in `colour`, as a canvas pattern (Leaflet's canvas renderer assigns
 * `fillColor` to the context's fillStyle as it is, so a pattern fills like a colour).
 */
export function hatch(colour: string): CanvasPattern | string {
  const cached = hatches.get(colour);
  if (cached) return cached;
  const tile = document.createElement('canvas');
  tile.width = tile.height = 10;
  const c = tile.getContext('2d');
  let pattern: CanvasPattern | string = colour;
  if (c) {
    c.strokeStyle = colour;
    c.lineWidth = 2;
    c.beginPath();
    c.moveTo(0, 10);
    c.lineTo(10, 0);
    c.moveTo(-5, 5);
    c.lineTo(5, -5);
    c.moveTo(5, 15);
    c.lineTo(15, 5);
    c.stroke();
    pattern = c.createPattern(tile, 'repeat') ?? colour;
  }
  hatches.set(colour, pattern);
  return pattern;
}

export type VolumeKind = 'own-operation' | 'operation' | ZoneRule;

export function volumeStyle(kind: VolumeKind, colour: string): L.PathOptions {
  switch (kind) {
    case 'own-operation':
      return { color: colour, weight: 2, fill: true, fillColor: colour, fillOpacity: 0.3, opacity: 0.95 };
    case 'operation':
      return { color: colour, weight: 2, fill: false, opacity: 0.95 };
    case 'exclusive':
      return { color: colour, weight: 2, fill: true, fillColor: hatch(colour) as unknown as string, fillOpacity: 0.6, opacity: 0.95 };
    case 'protected':
      return { color: colour, weight: 6, fill: false, opacity: 0.8 };
    case 'advisory':
      return { color: colour, weight: 2, fill: false, dashArray: '10 6', opacity: 0.95 };
  }
}

/** The highlight drawn over a selected volume. */
export function selectedStyle(p: Palette): L.PathOptions {
  return { color: p.focus, weight: 5, fill: false, opacity: 1, interactive: false };
}

/** The highlight drawn over each volume of an open or acknowledged conflict. */
export function conflictStyle(p: Palette): L.PathOptions {
  return { color: p.loss, weight: 4, fill: false, opacity: 1, dashArray: '1 7', lineCap: 'round' };
}
