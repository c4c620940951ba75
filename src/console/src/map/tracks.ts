// Tracks and alerts on the map. Own aircraft come from GET /v1/tracks, polled every second: the
// event stream does not carry raw tracks (they are never recorded, and another party must never
// receive them), so there is nothing to follow for them. Other parties' aircraft are shown only
// as the alerts show them (position and velocity near the encounter). Each alert is a line from
// one aircraft through both closest-approach points to the other, coloured by level and dashed
// per level, with a marker at the closest approach carrying the level's shape and a countdown.

import * as L from 'leaflet';
import '../alerts/alerts.css';
import './tracks.css';
import type { ConsoleContext } from '../context';
import type { Alert, AlertAircraft, LatLng } from '../model';
import type { Store } from '../store';
import { h } from '../dom';
import { closestApproach, project, secondsToLoss } from '../alerts/geometry';
import { countdown } from '../alerts/countdown';
import { levelColour, levelDash, levelIcon, levelWeight, levelWord, themeColour } from '../alerts/levels';
import { altitude } from '../alerts/units';
import { CanvasLayer } from './canvasLayer';
import { addOverlay, leaflet } from './registry';

/** One track as GET /v1/tracks gives it. */
export interface OwnTrack {
  party: string;
  id: string;
  time: string;
  lat: number;
  lng: number;
  altitude_m: number;
  velocity: { east_mps: number; north_mps: number; up_mps: number };
  stale: boolean;
  callsign?: string | null;
}

export interface TrackList {
  time: string;
  items: OwnTrack[];
}

/** The store's `extra` key for the caller's tracks (only the live store has them). */
export const tracksKey = 'tracks';

/** Seconds ahead the leader line reaches: where the aircraft will be in a minute. */
export const leaderS = 60;

const pollMs = 1000;

export function tracksOf(store: Store): OwnTrack[] {
  return (store.extra.get(tracksKey) as TrackList | undefined)?.items ?? [];
}

export function mountTracks(ctx: ConsoleContext): void {
  pollTracks(ctx);
  const tracks = new CanvasLayer((g, toPoint, map) => paintAircraft(ctx, g, toPoint, map.getZoom()));
  const alerts = L.layerGroup();
  addOverlay({ name: 'Tracks', layer: tracks, visible: true });
  addOverlay({ name: 'Alerts', layer: alerts, visible: true });

  const renderer = L.canvas({ padding: 0.5 });
  const labels = new Map<string, HTMLElement>();
  const drawAlerts = () => {
    alerts.clearLayers();
    labels.clear();
    for (const alert of ctx.shown.value.alerts.values()) {
      if (alert.state === 'active') {
        drawAlert(ctx, alert, alerts, renderer, labels);
      }
    }
  };
  const tick = () => {
    for (const [id, label] of labels) {
      const alert = ctx.shown.value.alerts.get(id);
      if (alert) {
        label.textContent = countdown(alert, ctx.now());
      }
    }
  };

  let unsubscribe: (() => void)[] = [];
  const watch = (store: Store) => {
    unsubscribe.forEach((off) => off());
    unsubscribe = [
      store.on('tracks', () => tracks.redraw()),
      store.on('alerts', () => {
        drawAlerts();
        tracks.redraw();
      }),
    ];
    drawAlerts();
    tracks.redraw();
  };
  watch(ctx.shown.value);
  ctx.shown.on(watch);
  ctx.selection.on(() => {
    drawAlerts();
    tracks.redraw();
  });
  window.setInterval(tick, 1000);
  new MutationObserver(() => {
    drawAlerts();
    tracks.redraw();
  }).observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });

  const clickable = (map: L.Map) => map.on('click', (e: L.LeafletMouseEvent) => {
    const hit = nearestTrack(ctx, map, e.containerPoint);
    if (hit) {
      ctx.select({ kind: 'track', id: hit.id });
    }
  });
  if (leaflet.value) {
    clickable(leaflet.value);
  } else {
    const off = leaflet.on((map) => {
      if (map) {
        off();
        clickable(map);
      }
    });
  }
}

/** Asks for the caller's tracks every second, one request at a time, into the live store. */
function pollTracks(ctx: ConsoleContext): void {
  const poll = async () => {
    try {
      const list = await ctx.api.get<TrackList>('/v1/tracks');
      ctx.live.extra.set(tracksKey, list);
      ctx.live.changed('tracks');
    } catch {
      // Missed once: the connection indicator says why; the next poll tries again.
    }
    window.setTimeout(() => void poll(), pollMs);
  };
  void poll();
}

function nearestTrack(ctx: ConsoleContext, map: L.Map, at: L.Point): OwnTrack | null {
  let best: OwnTrack | null = null;
  let bestDistance = 12;
  for (const track of tracksOf(ctx.shown.value)) {
    const distance = map.latLngToContainerPoint([track.lat, track.lng]).distanceTo(at);
    if (distance < bestDistance) {
      best = track;
      bestDistance = distance;
    }
  }
  return best;
}

/** Own tracks are labelled when few, or when the map is zoomed in far enough to tell them apart. */
const labelAllBelow = 100;
const labelAllFromZoom = 10;

function paintAircraft(ctx: ConsoleContext, g: CanvasRenderingContext2D, toPoint: (at: L.LatLngExpression) => L.Point, zoom: number): void {
  const store = ctx.shown.value;
  const own = themeColour('--accent', '#5cb3ff');
  const other = themeColour('--text', '#e6edf3');
  const halo = themeColour('--bg', '#0f141a');
  const selected = ctx.selection.value;
  g.font = '600 11px system-ui, sans-serif';
  g.textBaseline = 'middle';
  g.lineJoin = 'round';

  const tracks = tracksOf(store);
  const shown = new Set(tracks.map((t) => `${t.party}/${t.id}`));
  const labelled = tracks.length < labelAllBelow || zoom >= labelAllFromZoom;
  for (const track of tracks) {
    const at = { lat: track.lat, lng: track.lng };
    // The admin and observers see every party's tracks: their labels say whose.
    const label = `${ctx.me.party ? '' : `${store.partyName(track.party)} `}${track.id}${track.stale ? ' (stale)' : ''}`;
    const isSelected = selected?.kind === 'track' && selected.id === track.id;
    g.globalAlpha = track.stale ? 0.5 : 1;
    drawAircraft(g, toPoint, at, track.velocity, own, halo, labelled || isSelected ? label : '', 'own', isSelected, track.stale);
  }

  // Other parties' aircraft, only as the active alerts give them (the admin's own list has them all).
  g.globalAlpha = 1;
  for (const alert of store.alerts.values()) {
    if (alert.state !== 'active') {
      continue;
    }
    for (const side of [alert.a, alert.b]) {
      if (side.own || (side.track_id && shown.has(`${side.party}/${side.track_id}`))) {
        continue;
      }
      const at = side.position;
      const label = `${store.partyName(side.party)} ${altitude(side.altitude_m)}${side.lost ? ' (lost)' : ''}`;
      drawAircraft(g, toPoint, at, side.velocity, other, halo, label, 'other', false, side.lost === true);
    }
  }
}

/**
 * One aircraft: the leader line to where it will be in a minute, its symbol pointing along its
 * track (own: a filled arrowhead; another party's: an open diamond with a heading tick), and its
 * label on a halo so it reads over any basemap.
 */
function drawAircraft(
  g: CanvasRenderingContext2D,
  toPoint: (at: L.LatLngExpression) => L.Point,
  at: LatLng,
  velocity: AlertAircraft['velocity'],
  colour: string,
  halo: string,
  label: string,
  kind: 'own' | 'other',
  selected: boolean,
  dashed: boolean,
): void {
  const p = toPoint([at.lat, at.lng]);
  const ahead = toPoint(toLatLng(project(at, velocity.east_mps, velocity.north_mps, leaderS)));
  g.strokeStyle = colour;
  g.lineWidth = 1.5;
  g.setLineDash(dashed ? [4, 4] : []);
  g.beginPath();
  g.moveTo(p.x, p.y);
  g.lineTo(ahead.x, ahead.y);
  g.stroke();
  g.setLineDash([]);

  const heading = Math.atan2(velocity.east_mps, velocity.north_mps);
  g.save();
  g.translate(p.x, p.y);
  g.rotate(heading);
  g.beginPath();
  if (kind === 'own') {
    g.moveTo(0, -8);
    g.lineTo(6, 7);
    g.lineTo(0, 3.5);
    g.lineTo(-6, 7);
    g.closePath();
    g.fillStyle = colour;
    g.strokeStyle = halo;
    g.lineWidth = 1.5;
    g.stroke();
    g.fill();
  } else {
    g.moveTo(0, -7);
    g.lineTo(7, 0);
    g.lineTo(0, 7);
    g.lineTo(-7, 0);
    g.closePath();
    g.moveTo(0, -7);
    g.lineTo(0, -12);
    g.strokeStyle = colour;
    g.lineWidth = 2;
    g.stroke();
  }
  g.restore();
  if (selected) {
    g.beginPath();
    g.arc(p.x, p.y, 12, 0, 2 * Math.PI);
    g.strokeStyle = colour;
    g.lineWidth = 2;
    g.stroke();
  }

  if (!label) {
    return;
  }
  // Own labels above the symbol, others' below: a close pair's labels do not overlap.
  const labelY = kind === 'own' ? p.y - 10 : p.y + 12;
  g.lineWidth = 3;
  g.strokeStyle = halo;
  g.strokeText(label, p.x + 11, labelY);
  g.fillStyle = colour;
  g.fillText(label, p.x + 11, labelY);
}

function toLatLng(at: LatLng): L.LatLngTuple {
  return [at.lat, at.lng];
}

/**
 * One alert: the line from each aircraft to where it will be at the closest approach and between
 * those two points, and the closest-approach marker (level shape, word and countdown).
 */
function drawAlert(ctx: ConsoleContext, alert: Alert, group: L.LayerGroup, renderer: L.Renderer, labels: Map<string, HTMLElement>): void {
  const cpa = closestApproach(alert);
  const now = ctx.now();
  const a = alert.a.position;
  const b = alert.b.position;
  const selected = ctx.selection.value?.kind === 'alert' && ctx.selection.value.id === alert.id;
  const colour = levelColour(alert.level);
  const select = () => ctx.select({ kind: 'alert', id: alert.id });
  const line = L.polyline([toLatLng(a), toLatLng(cpa.a), toLatLng(cpa.b), toLatLng(b)], {
    renderer,
    color: colour,
    weight: levelWeight[alert.level] + (selected ? 3 : 0),
    dashArray: levelDash[alert.level],
    opacity: 0.95,
    interactive: true,
  });
  line.on('click', (e) => {
    L.DomEvent.stopPropagation(e);
    select();
  });
  group.addLayer(line);

  const label = h('span', { class: 'alert-countdown' }, countdown(alert, now));
  labels.set(alert.id, label);
  const marker = h(
    'span',
    { class: `alert-marker level-${alert.level}${selected ? ' selected' : ''}`, title: `${levelWord[alert.level]} alert: select it` },
    levelIcon(alert.level),
    h('span', { class: 'alert-level' }, levelWord[alert.level]),
    label,
  );
  const point = L.circleMarker(toLatLng(cpa.mid), { renderer, radius: 4, color: colour, weight: 2, fillColor: colour, fillOpacity: 1 });
  point.on('click', (e) => {
    L.DomEvent.stopPropagation(e);
    select();
  });
  group.addLayer(point);
  // The label hangs below the closest approach, leaving the aircraft either side of it in view.
  const cpaMarker = L.marker(toLatLng(cpa.mid), {
    icon: L.divIcon({ html: marker, className: 'alert-marker-icon', iconSize: undefined, iconAnchor: [10, -14] }),
    keyboard: false,
    riseOnHover: true,
    zIndexOffset: 1000 - secondsToLoss(alert, now),
  });
  cpaMarker.on('click', select);
  group.addLayer(cpaMarker);
}
