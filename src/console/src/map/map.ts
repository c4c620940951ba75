// The map: an offline basemap (land, borders, coastlines, cities, graticule, scale, cursor
// position), the declared volumes in force at the time shown, conflicts and the selection, with
// a layer control, a legend and a keyboard list of what is shown. Drawn on canvas (Leaflet's
// `preferCanvas`) so a thousand operations pan smoothly; redrawn per declaration, only where a
// version, the shown time or the theme changed. Other features add layers through registry.ts.

import * as L from 'leaflet';
import type { ConsoleContext } from '../context';
import type { Selection } from '../model';
import type { Store, Topic } from '../store';
import { basemap } from './basemap';
import { outline } from './geometry';
import { graticuleLayer } from './graticule';
import { legendControl } from './legend';
import { listControl } from './listControl';
import { conflictPopup, declarationPopup, describeConflict } from './popup';
import { OwnDetails } from './ownDetails';
import { addPositionControl } from './position';
import { leaflet, overlays } from './registry';
import { addScale } from './scale';
import { palette, partyColours } from './style';
import { mountTimeControl } from './timeControl';
import { VolumeLayers, label, type Styling } from './volumes';
import './map.css';

/** Where the map opens when nothing is declared: the Levant, where the demo's scenario plays. */
const DEFAULT_VIEW = L.latLngBounds([32.0, 34.5], [37.5, 42.5]);
const TOPICS: Topic[] = ['operations', 'zones', 'conflicts', 'parties'];

export function mountMap(ctx: ConsoleContext): void {
  const container = document.getElementById('map');
  if (!container) return;

  const map = L.map(container, { preferCanvas: true, minZoom: 2, maxZoom: 15, worldCopyJump: false, attributionControl: false, keyboard: true });
  // The view first: layers and controls ask the map where it is when they are added.
  fitStart(map, ctx.shown.value);
  L.control.attribution({ prefix: false, position: 'bottomright' }).addAttribution('Basemap: Natural Earth (public domain)').addTo(map);
  // Two canvases: the basemap (land, borders, cities, graticule), redrawn only when the view
  // moves, and the volumes above it, redrawn where a declaration changed.
  map.createPane('basemap').style.zIndex = '250';
  const basemapRenderer = L.canvas({ pane: 'basemap', padding: 0.3 });
  map.createPane('volumes').style.zIndex = '420';
  const renderer = L.canvas({ pane: 'volumes', padding: 0.3, tolerance: 4 });

  const base = basemap(map, basemapRenderer);
  const graticule = graticuleLayer(map, basemapRenderer);
  let lastClick: { selection: Selection; at: L.LatLng } | null = null;
  const onSelect = (selection: Selection, at: L.LatLng) => {
    lastClick = { selection, at };
    ctx.select(selection);
  };
  const layers = new VolumeLayers(renderer, onSelect, (id) => ctx.shown.value.partyName(id));

  for (const layer of [base.land, base.borders, base.cities, graticule, layers.zones, layers.otherOperations, layers.ownOperations, layers.conflicts, layers.selected]) {
    layer.addTo(map);
  }
  const control = L.control
    .layers(
      undefined,
      {
        'Land and coastlines': base.land,
        Borders: base.borders,
        Cities: base.cities,
        Graticule: graticule,
        'Own operations': layers.ownOperations,
        "Other parties' operations": layers.otherOperations,
        Zones: layers.zones,
        Conflicts: layers.conflicts,
      },
      { collapsed: true, position: 'topright' },
    )
    .addTo(map);
  labelLayerControl(control);

  addScale(map);
  addPositionControl(map);
  const updateLegend = legendControl(map);
  const updateList = listControl(map, (selection) => {
    lastClick = null;
    ctx.select(selection);
  });

  // Layers other features register (tracks, alerts) join the layer control.
  const added = new Set<L.Layer>();
  const syncOverlays = () => {
    for (const overlay of overlays.value) {
      if (added.has(overlay.layer)) continue;
      added.add(overlay.layer);
      control.addOverlay(overlay.layer, overlay.name);
      if (overlay.visible) overlay.layer.addTo(map);
    }
  };
  overlays.on(syncOverlays);
  syncOverlays();

  const details = new OwnDetails(ctx.api, () => schedule());
  let styling: Styling = { palette: palette(), colours: new Map() };
  let legendSignature = '';
  const shownTime = () => ctx.mapTime.value ?? ctx.now();

  let drawn = false;
  const render = () => {
    const store = ctx.shown.value;
    const parties = new Set<string>(store.parties.keys());
    for (const d of store.operations.values()) parties.add(d.party);
    for (const d of store.zones.values()) parties.add(d.party);
    styling = { palette: styling.palette, colours: partyColours(parties, store.me.party, styling.palette.parties) };
    const changed = layers.render(store, shownTime(), styling, (kind, d) => (store.historical ? d : details.resolve(kind, d)));
    layers.renderConflicts(store.conflicts.values(), styling, (c) => describeConflict(store, c), false);
    showSelection(ctx.selection.value, changed);

    const legend = [...styling.colours].map(([id, colour]) => ({ id, colour, name: store.partyName(id), own: id === store.me.party }));
    const signature = `${styling.palette.theme}|${legend.map((p) => `${p.id}=${p.colour}:${p.name}`).join(',')}`;
    if (signature !== legendSignature) {
      legendSignature = signature;
      updateLegend(legend, styling.palette);
    }
    updateList(() =>
      layers.shown().map((e) => ({
        selection: { kind: e.kind, id: e.id },
        text: e.kind === 'zone' ? `${e.declaration.rule ?? 'advisory'} zone ${label(e.declaration, e.kind, e.own)} (${store.partyName(e.party)})` : `${e.own ? 'Own operation' : 'Operation'} ${label(e.declaration, e.kind, e.own)} (${store.partyName(e.party)})`,
      })),
    );
    container.dataset.rendered = String(layers.shown().length);
    declutter();
    if (!drawn) {
      // The first render draws the whole loaded picture: the console benchmark's "first complete
      // render" ends at this mark (bench/Deconflict.Benchmarks/Load/ConsoleLoad.cs).
      drawn = true;
      performance.mark('map-drawn');
    }
  };

  // Names on the map only where they can be read: with many labelled volumes, from zoom 9 on.
  const declutter = () => {
    const labelled = layers.shown().filter((e) => e.own || e.kind === 'zone').length;
    container.classList.toggle('map-labels-off', labelled > 40 && map.getZoom() < 9);
  };
  map.on('zoomend', declutter);

  const popup = L.popup({ autoPan: true, maxWidth: 360, className: 'map-selection-popup' });
  let popupFor = '';
  const showSelection = (selection: Selection | null, refresh: boolean) => {
    const store = ctx.shown.value;
    const highlights = layers.renderSelection(selection, store, styling);
    const id = selection ? `${selection.kind}:${selection.id}` : '';
    if (!selection || highlights.length === 0) {
      if (popupFor) map.closePopup(popup);
      popupFor = '';
      return;
    }
    if (id === popupFor && !refresh) return;
    let content: HTMLElement | null = null;
    let anchor: L.LatLng | null = null;
    if (selection.kind === 'conflict') {
      const c = store.conflicts.get(selection.id);
      if (c) content = conflictPopup(store, c);
    } else if (selection.kind === 'operation' || selection.kind === 'zone') {
      const entry = layers.entry(selection.kind, selection.id);
      if (entry) content = declarationPopup(store, entry.kind, entry.declaration, entry.volumes);
    }
    if (!content) return;
    if (lastClick && lastClick.selection.kind === selection.kind && lastClick.selection.id === selection.id) {
      anchor = lastClick.at;
    } else {
      anchor = highlights[0]!.getBounds().getCenter();
    }
    const reopen = id !== popupFor || !map.hasLayer(popup);
    popupFor = id;
    popup.setContent(content);
    if (reopen) popup.setLatLng(anchor).openOn(map);
  };
  popup.on('remove', () => (popupFor = ''));

  // Re-render at most once a frame, whatever woke it.
  let pending = false;
  const schedule = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      render();
    });
  };
  let unwatch: (() => void)[] = [];
  const watch = (store: Store) => {
    for (const off of unwatch) off();
    unwatch = TOPICS.map((topic) => store.on(topic, schedule));
  };
  ctx.shown.on((store) => {
    watch(store);
    schedule();
  });
  watch(ctx.shown.value);
  ctx.mapTime.on(schedule);
  ctx.selection.on((selection) => showSelection(selection, false));
  // While following now, volumes start and end as the clock moves.
  setInterval(() => {
    if (ctx.mapTime.value === null) schedule();
  }, 1_000);
  new MutationObserver(() => {
    styling = { ...styling, palette: palette() };
    base.restyle();
    legendSignature = '';
    schedule();
  }).observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });

  mountTimeControl(ctx);
  render();
  leaflet.set(map);
  exposeForTests(ctx, map, layers);
}

/** Opens on every declared volume, or on the demo's region when nothing is declared. */
function fitStart(map: L.Map, store: Store): void {
  const bounds = L.latLngBounds([]);
  for (const d of [...store.operations.values(), ...store.zones.values()]) {
    if (d.state === 'cancelled' || d.state === 'ended') continue;
    for (const v of d.volumes) {
      for (const p of outline(v.volume) ?? []) bounds.extend([p.lat, p.lng]);
    }
  }
  map.fitBounds(bounds.isValid() ? bounds : DEFAULT_VIEW, { padding: [24, 24], maxZoom: 10 });
}

/** Leaflet's layer control toggle has only a title; give the control a name screen readers say. */
function labelLayerControl(control: L.Control.Layers): void {
  const container = control.getContainer();
  const toggle = container?.querySelector<HTMLAnchorElement>('.leaflet-control-layers-toggle');
  toggle?.setAttribute('aria-label', 'Map layers');
  container?.querySelector('.leaflet-control-layers-list')?.setAttribute('aria-label', 'Map layers');
}

/**
 * A read-only view of what the map drew, for the browser tests (a canvas has no DOM to query):
 * each shown declaration with how it is styled, and the time shown.
 */
function exposeForTests(ctx: ConsoleContext, map: L.Map, layers: VolumeLayers): void {
  (window as unknown as Record<string, unknown>).__deconflictMap = {
    map,
    time: () => ctx.mapTime.value ?? ctx.now(),
    rendered: () =>
      layers.shown().map((e) => {
        const o = e.layers[0]?.options ?? {};
        return { kind: e.kind, id: e.id, party: e.party, own: e.own, style: e.style, filled: Boolean(o.fill), dashed: Boolean(o.dashArray), weight: o.weight ?? 0, volumes: e.volumes.length };
      }),
  };
}
