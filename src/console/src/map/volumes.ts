// The declared volumes on the map: one entry per operation or zone, kept across renders and
// rebuilt only when its version, the volumes in force at the shown time, or its style changed,
// so a stream of changes redraws only what changed. Other parties' operations are drawn from
// exactly what the API gave this party (no details: they are never sent to it).

import * as L from 'leaflet';
import type { Conflict, Declaration, DeclarationKind, Selection } from '../model';
import type { Store } from '../store';
import { activeAt, outline } from './geometry';
import { conflictStyle, selectedStyle, volumeStyle, type Palette, type VolumeKind } from './style';

/** What the map shows of one declaration. */
export interface Entry {
  kind: DeclarationKind;
  id: string;
  party: string;
  own: boolean;
  style: VolumeKind;
  declaration: Declaration;
  /** Indexes of the declaration's volumes in force at the shown time. */
  volumes: number[];
  /** One polygon per volume in force, in the same order. */
  layers: L.Polygon[];
  signature: string;
}

export interface Styling {
  palette: Palette;
  colours: Map<string, string>;
}

const key = (kind: DeclarationKind, id: string) => `${kind}:${id}`;

/** The name an officer knows a declaration by: a zone's name, the own `details.name`, else the id. */
export function label(d: Declaration, kind: DeclarationKind, own: boolean): string {
  if (kind === 'zone' && d.name) return d.name;
  if (own && d.details && typeof d.details === 'object' && 'name' in d.details) {
    const name = (d.details as Record<string, unknown>).name;
    if (typeof name === 'string' && name.trim()) return name;
  }
  return d.id;
}

export class VolumeLayers {
  readonly ownOperations = L.layerGroup();
  readonly otherOperations = L.layerGroup();
  readonly zones = L.layerGroup();
  readonly conflicts = L.layerGroup();
  readonly selected = L.layerGroup();

  private readonly entries = new Map<string, Entry>();
  private readonly outlines = new Map<string, { version: number; rings: (L.LatLngExpression[] | null)[] }>();
  private conflictSignature = '';
  private selectionSignature = '';

  constructor(
    private readonly renderer: L.Renderer,
    private readonly select: (selection: Selection, at: L.LatLng) => void,
    private readonly partyName: (id: string) => string,
  ) {}

  /** Every declaration drawn now, for the list of shown objects and the test hook. */
  shown(): Entry[] {
    return [...this.entries.values()];
  }

  entry(kind: DeclarationKind, id: string): Entry | undefined {
    return this.entries.get(key(kind, id));
  }

  /** Brings the map in line with `store` at time `t`; returns whether anything changed. */
  render(store: Store, t: number, styling: Styling, resolve: (kind: DeclarationKind, d: Declaration) => Declaration): boolean {
    const seen = new Set<string>();
    let changed = false;
    const me = store.me.party;
    for (const [kind, map] of [['operation', store.operations], ['zone', store.zones]] as const) {
      for (const held of map.values()) {
        if (held.state === 'cancelled' || held.state === 'ended') continue;
        const own = me !== null && held.party === me;
        const d = own ? resolve(kind, held) : held;
        const volumes: number[] = [];
        d.volumes.forEach((v, i) => {
          if (activeAt(v, t)) volumes.push(i);
        });
        if (volumes.length === 0) continue;
        const k = key(kind, d.id);
        seen.add(k);
        const style: VolumeKind = kind === 'zone' ? (d.rule ?? 'advisory') : own ? 'own-operation' : 'operation';
        const colour = styling.colours.get(d.party) ?? styling.palette.parties[0]!;
        const signature = `${d.version}|${volumes.join(',')}|${style}|${colour}|${styling.palette.theme}|${d.details == null ? 0 : 1}`;
        const old = this.entries.get(k);
        if (old && old.signature === signature) continue;
        if (old) this.remove(old);
        this.entries.set(k, this.build(kind, d, own, style, colour, volumes, signature));
        changed = true;
      }
    }
    for (const [k, entry] of this.entries) {
      if (!seen.has(k)) {
        this.remove(entry);
        this.entries.delete(k);
        this.outlines.delete(k);
        changed = true;
      }
    }
    return changed;
  }

  private group(entry: { kind: DeclarationKind; own: boolean }): L.LayerGroup {
    return entry.kind === 'zone' ? this.zones : entry.own ? this.ownOperations : this.otherOperations;
  }

  private remove(entry: Entry): void {
    const group = this.group(entry);
    for (const layer of entry.layers) group.removeLayer(layer);
  }

  private rings(kind: DeclarationKind, d: Declaration): (L.LatLngExpression[] | null)[] {
    const k = key(kind, d.id);
    const cached = this.outlines.get(k);
    if (cached && cached.version === d.version) return cached.rings;
    const rings = d.volumes.map((v) => outline(v.volume)?.map((p) => [p.lat, p.lng] as L.LatLngTuple) ?? null);
    this.outlines.set(k, { version: d.version, rings });
    return rings;
  }

  private build(kind: DeclarationKind, d: Declaration, own: boolean, style: VolumeKind, colour: string, volumes: number[], signature: string): Entry {
    const rings = this.rings(kind, d);
    const name = label(d, kind, own);
    const what = kind === 'zone' ? `${d.rule ?? 'advisory'} zone ${name}` : own ? `Own operation ${name}` : `Operation ${name}`;
    const text = `${what} (${this.partyName(d.party)})`;
    const layers: L.Polygon[] = [];
    const group = this.group({ kind, own });
    for (const i of volumes) {
      const ring = rings[i];
      if (!ring) continue;
      const layer = L.polygon(ring, { ...volumeStyle(style, colour), renderer: this.renderer, bubblingMouseEvents: false });
      // A function, so the tooltip's element is made only when shown, and with textContent:
      // names are a party's text, never HTML.
      // Own operations and zones carry their name on the map; other parties' operations say
      // whose they are on hover (one tooltip per layer is all Leaflet keeps).
      if (own || kind === 'zone') {
        layer.bindTooltip(element(name), { permanent: true, direction: 'center', className: 'volume-label', interactive: false });
      } else {
        layer.bindTooltip(() => element(text), { sticky: true, className: 'volume-tooltip' });
      }
      layer.on('click', (e: L.LeafletMouseEvent) => this.select({ kind, id: d.id }, e.latlng));
      group.addLayer(layer);
      layers.push(layer);
    }
    return { kind, id: d.id, party: d.party, own, style, declaration: d, volumes, layers, signature };
  }

  /** Draws both volumes of each open or acknowledged conflict, dotted in the loss colour. */
  renderConflicts(conflicts: Iterable<Conflict>, styling: Styling, describe: (c: Conflict) => string, force: boolean): void {
    const live = [...conflicts].filter((c) => c.state === 'open' || c.state === 'acknowledged');
    const parts = live.map((c) => `${c.id}:${c.version}:${this.entry(c.a.kind, c.a.id)?.signature ?? '-'}:${this.entry(c.b.kind, c.b.id)?.signature ?? '-'}`);
    const signature = `${styling.palette.theme}|${parts.join(';')}`;
    if (!force && signature === this.conflictSignature) return;
    this.conflictSignature = signature;
    this.conflicts.clearLayers();
    for (const c of live) {
      for (const ref of [c.a, c.b]) {
        const entry = this.entry(ref.kind, ref.id);
        if (!entry) continue;
        for (const drawn of entry.layers) {
          const layer = L.polygon(drawn.getLatLngs() as L.LatLngExpression[][], { ...conflictStyle(styling.palette), renderer: this.renderer, bubblingMouseEvents: false });
          layer.bindTooltip(() => element(describe(c)), { sticky: true, className: 'volume-tooltip' });
          layer.on('click', (e: L.LeafletMouseEvent) => this.select({ kind: 'conflict', id: c.id }, e.latlng));
          this.conflicts.addLayer(layer);
        }
      }
    }
  }

  /** Outlines the selected operation or zone, or both volumes of the selected conflict. */
  renderSelection(selection: Selection | null, store: Store, styling: Styling): L.Polygon[] {
    const refs: { kind: DeclarationKind; id: string }[] = [];
    if (selection?.kind === 'operation' || selection?.kind === 'zone') {
      refs.push({ kind: selection.kind, id: selection.id });
    } else if (selection?.kind === 'conflict') {
      const c = store.conflicts.get(selection.id);
      if (c) refs.push(c.a, c.b);
    }
    const entries = refs.map((r) => this.entry(r.kind, r.id)).filter((e): e is Entry => e !== undefined);
    const signature = `${styling.palette.theme}|${selection?.kind}:${selection?.id}|${entries.map((e) => e.signature).join(';')}`;
    const drawn = this.selected.getLayers() as L.Polygon[];
    if (signature === this.selectionSignature) return drawn;
    this.selectionSignature = signature;
    this.selected.clearLayers();
    const out: L.Polygon[] = [];
    for (const entry of entries) {
      for (const layer of entry.layers) {
        const highlight = L.polygon(layer.getLatLngs() as L.LatLngExpression[][], { ...selectedStyle(styling.palette), renderer: this.renderer });
        this.selected.addLayer(highlight);
        out.push(highlight);
      }
    }
    return out;
  }
}

function element(text: string): HTMLElement {
  const span = document.createElement('span');
  span.textContent = text;
  return span;
}
