// The selected object, in full: an operation or zone with each volume's altitudes and times and
// (for its owner) its details, a conflict, an alert or a line message, with its record entry and
// inclusion proof when it has one. Everything a party wrote is set as text.

import './details.css';
import type { ConsoleContext } from '../context';
import { duration, h, replace, utc } from '../dom';
import type { Alert, AlertAircraft, Altitude, Conflict, Declaration, Message, Ref, Selection, Volume4D } from '../model';
import { vertical } from '../alerts/units';
import { metres } from '../map/geometry';
import { proofView } from '../record/proofView';
import type { Store } from '../store';

function altitude(a: Altitude | null | undefined): string {
  if (!a) {
    return 'unbounded';
  }
  const m = metres(a);
  return m === null ? `${a.value} ${a.units} ${a.reference}` : `${vertical(m)} ${a.reference}`;
}

export function mountDetails(ctx: ConsoleContext): void {
  const pane = document.getElementById('details')!;
  // What is drawn: the object (the stores replace an object on each change, so the same object
  // means nothing to redraw, and the proof is not fetched again).
  let drawn: unknown = undefined;
  let drawnSelection: Selection | null = null;

  const close = () => ctx.select(null);

  const render = () => {
    const selection = ctx.selection.value;
    if (!selection) {
      drawn = undefined;
      drawnSelection = null;
      pane.replaceChildren();
      return;
    }
    const store = ctx.shown.value;
    const object = find(store, selection);
    if (object === drawn && selection === drawnSelection && object !== undefined) {
      return;
    }
    const focusWasInside = pane.contains(document.activeElement);
    drawn = object;
    drawnSelection = selection;
    const closeButton = h('button', { type: 'button', class: 'details-close', 'aria-label': 'Close the details (Escape)' }, '✕ Close');
    closeButton.addEventListener('click', close);
    const body = object === undefined ? [h('p', { class: 'details-missing' }, `${noun(selection.kind)} ${selection.id} is not in the picture shown${store.historical ? ' at this time' : ''}.`)] : describe(ctx, store, selection, object);
    replace(pane, h('header', { class: 'details-header' }, h('h2', {}, `${noun(selection.kind)} ${selection.id}`), closeButton), ...body);
    pane.dataset.kind = selection.kind;
    pane.dataset.id = selection.id;
    if (focusWasInside) {
      closeButton.focus();
    }
  };

  ctx.selection.on(render);
  let unsubscribe = ctx.shown.value.on('all', render);
  ctx.shown.on((store) => {
    unsubscribe();
    unsubscribe = store.on('all', render);
    drawn = undefined;
    render();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !e.defaultPrevented && ctx.selection.value !== null && ctx.picker.value === null) {
      close();
    }
  });
  render();
}

function noun(kind: Selection['kind']): string {
  return kind.charAt(0).toUpperCase() + kind.slice(1);
}

function find(store: Store, selection: Selection): unknown {
  switch (selection.kind) {
    case 'operation':
      return store.operations.get(selection.id);
    case 'zone':
      return store.zones.get(selection.id);
    case 'conflict':
      return store.conflicts.get(selection.id);
    case 'alert':
      return store.alerts.get(selection.id);
    case 'message':
      return store.messages.get(selection.id);
    default:
      // Tracks belong to the map's own state; the details show only what was selected.
      return null;
  }
}

function describe(ctx: ConsoleContext, store: Store, selection: Selection, object: unknown): Node[] {
  let parts: Node[];
  let recordIndex: number | null | undefined = null;
  switch (selection.kind) {
    case 'operation':
    case 'zone': {
      const d = object as Declaration;
      parts = declaration(store, d);
      recordIndex = d.record_index;
      break;
    }
    case 'conflict': {
      const c = object as Conflict;
      parts = conflict(ctx, store, c);
      recordIndex = c.record_index;
      break;
    }
    case 'alert': {
      const a = object as Alert;
      parts = alert(store, a);
      recordIndex = a.record_index;
      break;
    }
    case 'message': {
      const m = object as Message;
      parts = message(store, m);
      recordIndex = m.record_index;
      break;
    }
    default:
      parts = [h('p', {}, `Track ${selection.id}.`)];
  }
  if (typeof recordIndex === 'number') {
    parts.push(h('section', { class: 'details-proof', 'aria-label': 'Record entry and proof' }, h('h3', {}, `Record entry ${recordIndex}`), proofView(ctx, recordIndex)));
  }
  return parts;
}

/** A definition list of label/value pairs (values as text). */
function facts(pairs: [string, string | Node][]): HTMLElement {
  return h(
    'dl',
    { class: 'details-facts' },
    pairs.flatMap(([key, value]) => [h('dt', {}, key), h('dd', {}, value)]),
  );
}

function declaration(store: Store, d: Declaration): Node[] {
  const own = d.party === store.me.party;
  const pairs: [string, string | Node][] = [
    ['Party', `${store.partyName(d.party)} (${d.party})${own ? ', yours' : ''}`],
    ['State', d.state],
    ['Version', String(d.version)],
    ['Priority', String(d.priority)],
  ];
  if (d.rule) pairs.push(['Rule', d.rule]);
  if (d.name) pairs.push(['Name', d.name]);
  pairs.push(['Updated', utc(d.updated_at)]);
  const volumes = h(
    'ol',
    { class: 'details-volumes' },
    d.volumes.map((v, i) => h('li', { 'data-volume': i }, volume(v))),
  );
  const parts: Node[] = [facts(pairs), h('h3', {}, `Volumes (${d.volumes.length})`), volumes];
  if (d.details !== undefined && d.details !== null) {
    parts.push(h('h3', {}, 'Own details'), detailsList(d.details));
  }
  return parts;
}

function volume(v: Volume4D): HTMLElement {
  const start = v.time_start?.value ? utc(v.time_start.value) : 'unbounded';
  const end = v.time_end?.value ? utc(v.time_end.value) : 'unbounded';
  const shape = v.volume.outline_circle ? `circle, radius ${v.volume.outline_circle.radius.value} ${v.volume.outline_circle.radius.units}` : v.volume.outline_polygon ? `polygon of ${v.volume.outline_polygon.vertices.length} vertices` : 'no outline';
  return facts([
    ['Altitudes', `${altitude(v.volume.altitude_lower)} – ${altitude(v.volume.altitude_upper)}`],
    ['Time (UTC)', `[${start}, ${end})`],
    ['Outline', shape],
  ]);
}

/** The owner's private details, any JSON, as nested definition lists of text. */
function detailsList(value: unknown, depth = 0): Node {
  if (value === null || typeof value !== 'object') {
    return document.createTextNode(value === null ? 'null' : String(value));
  }
  if (depth > 6) {
    return document.createTextNode(JSON.stringify(value));
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i + 1), v] as const) : Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) {
    return document.createTextNode(Array.isArray(value) ? '(none)' : '(empty)');
  }
  return h(
    'dl',
    { class: 'details-own' },
    entries.flatMap(([key, v]) => [h('dt', {}, key), h('dd', {}, detailsList(v, depth + 1))]),
  );
}

function ref(store: Store, r: Ref): string {
  return `${r.kind} ${r.id} of ${store.partyName(r.party)}, version ${r.version}${r.party === store.me.party ? ' (yours)' : ''}`;
}

/** A side of a conflict as a button selecting its operation or zone. */
function sideButton(ctx: ConsoleContext, store: Store, r: Ref): HTMLElement {
  return h('button', { type: 'button', class: 'details-ref', 'data-ref': r.id, onclick: () => ctx.select({ kind: r.kind, id: r.id }) }, ref(store, r));
}

function conflict(ctx: ConsoleContext, store: Store, c: Conflict): Node[] {
  const parties = [...new Set([c.a.party, c.b.party])];
  const times = (map: Record<string, string>) => parties.map((p) => `${store.partyName(p)}: ${map[p] ? utc(map[p]) : 'not yet'}`).join('; ');
  const pairs: [string, string | Node][] = [
    ['State', c.state],
    ['Version', String(c.version)],
    ['Side A', sideButton(ctx, store, c.a)],
    ['Side B', sideButton(ctx, store, c.b)],
    ['Overlap (UTC)', `[${utc(c.overlap.time_start)}, ${utc(c.overlap.time_end)})`],
    ['Altitudes', `${vertical(c.overlap.altitude_lower_m)} – ${vertical(c.overlap.altitude_upper_m)}`],
    ['Acknowledged', times(c.acknowledged_by)],
    ['Accepted', times(c.accepted_by)],
    ['Opened', utc(c.created_at)],
  ];
  if (c.resolved_at) pairs.push(['Resolved', utc(c.resolved_at)]);
  return [facts(pairs)];
}

function aircraft(store: Store, a: AlertAircraft): string {
  const who = a.own ? 'yours' : store.partyName(a.party);
  const name = a.callsign || a.track_id || 'aircraft';
  return `${name} (${who}) at ${vertical(a.altitude_m)}${a.lost ? ', track lost' : ''}`;
}

function alert(store: Store, a: Alert): Node[] {
  const pairs: [string, string][] = [
    ['Level', a.level],
    ['State', a.state + (a.cleared_reason ? ` (${a.cleared_reason})` : '')],
    ['Aircraft A', aircraft(store, a.a)],
    ['Aircraft B', aircraft(store, a.b)],
    ['Closest approach', `${utc(a.cpa.time)}: ${Math.round(a.cpa.horizontal_m).toLocaleString('en-GB')} m apart, ${vertical(a.cpa.vertical_m)} vertically`],
    ['Time to loss', a.state === 'active' ? duration(a.time_to_loss_s) : '—'],
    ['Raised', utc(a.raised_at)],
    ['Acknowledged', Object.entries(a.acknowledged_by).map(([p, t]) => `${store.partyName(p)}: ${utc(t)}`).join('; ') || 'not yet'],
  ];
  return [facts(pairs)];
}

function message(store: Store, m: Message): Node[] {
  const pairs: [string, string][] = [
    ['From', store.partyName(m.from)],
    ['To', m.to.map((p) => store.partyName(p)).join(', ')],
    ['Sent', utc(m.sent_at)],
    ['Subject', m.subject],
    ['References', m.refs.map((r) => `${r.kind} ${r.id}`).join(', ') || 'none'],
  ];
  if (m.requires_ack && m.ack_due_at) pairs.push(['Acknowledgement due', utc(m.ack_due_at)]);
  const receipts = Object.entries(m.receipts).map(([p, r]) => {
    const state = r.acknowledged_at ? `acknowledged ${utc(r.acknowledged_at)}${r.acknowledged_by ? ` by ${r.acknowledged_by}` : ''}` : r.read_at ? `read ${utc(r.read_at)}` : r.delivered_at ? `delivered ${utc(r.delivered_at)}` : 'not delivered';
    return h('li', {}, `${store.partyName(p)}: ${state}${r.escalation_level > 0 ? `, escalation level ${r.escalation_level}` : ''}`);
  });
  return [facts(pairs), h('p', { class: 'details-body' }, m.body), h('h3', {}, 'Receipts'), h('ul', {}, receipts)];
}
