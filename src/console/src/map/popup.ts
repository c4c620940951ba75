// What the map says about the selected object, in a popup at it: its altitude band (metres and
// feet) and time window, and for the own party's operation its details. Built with the DOM: every
// value a party wrote is text.

import { h, utc } from '../dom';
import type { Conflict, Declaration, DeclarationKind, Volume4D } from '../model';
import type { Store } from '../store';
import { altitudeBand, metresAndFeet } from './geometry';
import { label } from './volumes';

function when(v: Volume4D): string {
  const start = v.time_start?.value ? utc(v.time_start.value, false) : 'open start';
  const end = v.time_end?.value ? utc(v.time_end.value, false) : 'open end';
  return `${start} to ${end}`;
}

function detailValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function declarationPopup(store: Store, kind: DeclarationKind, d: Declaration, shownVolumes: number[]): HTMLElement {
  const own = store.me.party !== null && d.party === store.me.party;
  const title = kind === 'zone' ? `${d.rule ?? 'advisory'} zone ${label(d, kind, own)}` : `${own ? 'Own operation' : 'Operation'} ${label(d, kind, own)}`;
  const volumes = shownVolumes.map((i) => d.volumes[i]!).filter(Boolean);
  const rows: HTMLElement[] = [
    h('div', {}, h('strong', {}, title)),
    h('div', {}, `Party: ${store.partyName(d.party)} · state ${d.state} · version ${d.version}`),
  ];
  volumes.forEach((v, n) => {
    const prefix = volumes.length > 1 ? `Volume ${n + 1}: ` : '';
    rows.push(h('div', { class: 'popup-band' }, `${prefix}Altitude ${altitudeBand(v)}`), h('div', { class: 'popup-window' }, `${prefix}In force ${when(v)}`));
  });
  if (own && d.details && typeof d.details === 'object') {
    const entries = Object.entries(d.details as Record<string, unknown>);
    if (entries.length > 0) {
      rows.push(h('dl', { class: 'popup-details' }, entries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, detailValue(v))])));
    }
  }
  return h('div', { class: 'map-popup' }, rows);
}

export function describeConflict(store: Store, c: Conflict): string {
  const side = (r: Conflict['a']) => `${r.kind} ${r.id} (${store.partyName(r.party)})`;
  return `Conflict (${c.state}): ${side(c.a)} and ${side(c.b)}; overlap ${utc(c.overlap.time_start, false)} to ${utc(c.overlap.time_end, false)}, altitude ${metresAndFeet(c.overlap.altitude_lower_m)} to ${metresAndFeet(c.overlap.altitude_upper_m)}`;
}

export function conflictPopup(store: Store, c: Conflict): HTMLElement {
  const side = (r: Conflict['a']) => `${r.kind} ${r.id} (${store.partyName(r.party)})`;
  return h(
    'div',
    { class: 'map-popup' },
    h('div', {}, h('strong', {}, `Conflict, ${c.state}`)),
    h('div', {}, `${side(c.a)} and ${side(c.b)}`),
    h('div', { class: 'popup-window' }, `Overlap ${utc(c.overlap.time_start, false)} to ${utc(c.overlap.time_end, false)}`),
    h('div', { class: 'popup-band' }, `Altitude ${metresAndFeet(c.overlap.altitude_lower_m)} to ${metresAndFeet(c.overlap.altitude_upper_m)}`),
  );
}
