// The investigator's timeline (issue 17, item 7): choose a moment T, and the map and every list
// show the picture as it stood then, rebuilt from the record entries this caller may see through
// the live console's own reducers; the panel lists what each party knew at T and when. A strip
// across the top says the console shows the past until "Back to live".

import '../timeline/timeline.css';
import type { ConsoleContext } from '../context';
import { clearProblem, h, replace, showProblem } from '../dom';
import type { Alert, Conflict, Declaration, Message, Selection } from '../model';
import type { Store } from '../store';
import { loadEntries } from '../timeline/entries';
import { History } from '../timeline/history';
import { KnowledgeIndex, type Fact, type ObjectKnowledge } from '../timeline/knowledge';

const Speeds = [1, 10, 60, 600];
/** How many recently changed objects the knowledge list shows when nothing is selected. */
const Recent = 8;

/** What tests read (window.__deconflictTimeline): the moment shown and the states of the conflicts in the shown store. */
export interface TimelineHook {
  loaded: number;
  viewing: number | null;
  /** ctx.mapTime: the moment while viewing the past, null when live. */
  mapTime: number | null;
  /** Whether the store shown is the live one. */
  live: boolean;
  conflicts(): Record<string, string>;
}

declare global {
  interface Window {
    __deconflictTimeline?: TimelineHook;
  }
}

export function mountTimeline(ctx: ConsoleContext): void {
  const panel = document.getElementById('panel-timeline')!;
  const history = new History(ctx.me, () => ctx.live.parties.values());
  const index = new KnowledgeIndex();
  const chunk = Math.min(1000, maxPage(ctx.config));
  let read = 0;
  let hidden = 0;
  let loading: Promise<void> | null = null;
  let viewing: number | null = null;
  let replay: { frame: number; last: number; at: number } | null = null;
  let mapSetAt = 0;

  // Controls.
  const progress = h('progress', { id: 'timeline-progress', max: 1, value: 0, 'aria-label': 'Record entries read' });
  const status = h('p', { id: 'timeline-status', class: 'timeline-status' }, 'The record is read when this view is first opened.');
  const loadProblem = h('p', { class: 'problem', hidden: true });
  const newer = h('button', { type: 'button', id: 'timeline-newer', onclick: () => void load() }, 'Read newer entries');
  const slider = h('input', { type: 'range', id: 'timeline-slider', min: 0, max: 0, step: 1, value: 0, disabled: true });
  const moment = h('input', { type: 'datetime-local', id: 'timeline-time', step: 0.001, disabled: true });
  const momentProblem = h('p', { class: 'problem', hidden: true });
  const previous = h('button', { type: 'button', id: 'timeline-previous', disabled: true, onclick: () => step(-1) }, '◀ Previous event');
  const next = h('button', { type: 'button', id: 'timeline-next', disabled: true, onclick: () => step(1) }, 'Next event ▶');
  const speed = h('select', { id: 'timeline-speed' }, Speeds.map((s) => h('option', { value: s, selected: s === 60 }, `${s}x`)));
  const play = h('button', { type: 'button', id: 'timeline-replay', disabled: true, 'aria-pressed': 'false', onclick: () => (replay ? pause() : start()) }, '▶ Replay');
  const live = h('button', { type: 'button', id: 'timeline-live', disabled: true, onclick: () => backToLive() }, 'Back to live');
  const position = h('p', { id: 'timeline-position', class: 'timeline-position' });
  const knowledgeTitle = h('h3', { class: 'timeline-knowledge-title' }, 'What each party knew');
  const knowledge = h('div', { id: 'timeline-knowledge', class: 'timeline-knowledge' });

  slider.addEventListener('input', () => {
    pause();
    goTo(Number(slider.value));
  });
  // A millisecond per arrow key would be useless: arrows step from event to event, Page Up/Down
  // by a twentieth of the record's span, Home/End to its first and last entry.
  slider.addEventListener('keydown', (e) => {
    const first = history.first;
    const last = history.last;
    if (first === null || last === null) {
      return;
    }
    const at = viewing ?? last;
    const jump = Math.max(1, (last - first) / 20);
    const moves: Record<string, () => void> = {
      ArrowLeft: () => step(-1),
      ArrowDown: () => step(-1),
      ArrowRight: () => step(1),
      ArrowUp: () => step(1),
      PageDown: () => goTo(at - jump),
      PageUp: () => goTo(at + jump),
      Home: () => goTo(first),
      End: () => goTo(last),
    };
    const move = moves[e.key];
    if (move) {
      e.preventDefault();
      pause();
      move();
    }
  });
  const form = h(
    'form',
    { class: 'timeline-moment', onsubmit: (e: Event) => (e.preventDefault(), chooseTyped()) },
    h('label', { for: 'timeline-time' }, 'Moment (UTC)'),
    moment,
    h('button', { type: 'submit', id: 'timeline-go' }, 'Show'),
  );
  moment.addEventListener('change', () => chooseTyped());

  replace(
    panel,
    h('h2', { class: 'timeline-title' }, 'Timeline of the record'),
    h('div', { class: 'timeline-load' }, progress, status, newer),
    loadProblem,
    h('div', { class: 'timeline-controls' },
      h('label', { for: 'timeline-slider' }, 'Moment'),
      slider,
      form,
      momentProblem,
      h('div', { class: 'timeline-buttons' }, previous, next),
      h('div', { class: 'timeline-buttons' }, h('label', { for: 'timeline-speed' }, 'Speed'), speed, play, live),
    ),
    position,
    knowledgeTitle,
    knowledge,
  );

  // The strip that says the console shows the past, with its own way back.
  const stripText = h('strong', { id: 'timeline-strip-text' });
  const strip = h(
    'div',
    { id: 'timeline-strip', class: 'timeline-strip', role: 'region', 'aria-label': 'Viewing the record', hidden: true },
    h('span', { class: 'timeline-strip-mark', 'aria-hidden': 'true' }, '◀◀'),
    stripText,
    h('span', {}, 'The map and lists show the past, as this console may see it in the record; nothing can be acted on.'),
    h('button', { type: 'button', id: 'timeline-strip-live', onclick: () => backToLive() }, 'Back to live'),
  );
  (document.getElementById('banners') ?? document.getElementById('bar'))!.after(strip);

  document.addEventListener('tab-shown', (e) => {
    if ((e as CustomEvent<string>).detail === 'tab-timeline') {
      void load();
    }
  });
  ctx.selection.on(() => renderKnowledge());
  ctx.live.on('parties', () => renderKnowledge());

  window.__deconflictTimeline = {
    get loaded() {
      return history.all.length;
    },
    get viewing() {
      return viewing;
    },
    get mapTime() {
      return ctx.mapTime.value;
    },
    get live() {
      return ctx.shown.value === ctx.live;
    },
    conflicts() {
      return Object.fromEntries([...ctx.shown.value.conflicts.values()].map((c) => [c.id, c.state]));
    },
  };

  /** Reads the entries after those already read (all of them the first time). */
  function load(): Promise<void> {
    loading ??= (async () => {
      clearProblem(loadProblem);
      newer.disabled = true;
      try {
        const loaded = await loadEntries(ctx.api, read, (done, size) => {
          progress.max = Math.max(size, 1);
          progress.value = done;
          status.textContent = `Reading the record: ${done.toLocaleString('en')} of ${size.toLocaleString('en')} entries`;
        }, chunk);
        history.add(loaded.entries);
        index.add(loaded.entries);
        read = loaded.size;
        hidden += loaded.hidden;
        const parts = [`${history.all.length.toLocaleString('en')} entries read of ${read.toLocaleString('en')}`];
        if (hidden > 0) {
          parts.push(`${hidden.toLocaleString('en')} concern other parties only (their leaf hashes alone are served to you)`);
        }
        if (loaded.unreadable > 0) {
          parts.push(`${loaded.unreadable} could not be decoded`);
        }
        status.textContent = parts.join('; ') + '.';
        renderRange();
      } catch (e) {
        showProblem(loadProblem, e);
        status.textContent = 'The record could not be read.';
      } finally {
        newer.disabled = false;
        loading = null;
      }
    })();
    return loading;
  }

  function renderRange(): void {
    const first = history.first;
    const last = history.last;
    const ready = first !== null && last !== null;
    for (const control of [slider, moment, previous, next, play]) {
      control.disabled = !ready;
    }
    if (!ready) {
      position.textContent = 'No entry of the record is readable by you yet.';
      return;
    }
    slider.min = String(first);
    slider.max = String(last);
    moment.min = inputValue(first);
    moment.max = inputValue(last);
    renderMoment();
  }

  function goTo(at: number): void {
    const first = history.first;
    const last = history.last;
    if (first === null || last === null) {
      return;
    }
    const t = Math.min(Math.max(Math.round(at), first), last);
    const store = history.storeAt(t);
    viewing = t;
    if (ctx.shown.value !== store) {
      ctx.shown.set(store);
    }
    // During replay the map follows at most ten times a second; a chosen moment at once.
    const now = performance.now();
    if (ctx.mapTime.value !== t && (!replay || now - mapSetAt >= 100 || t >= last)) {
      mapSetAt = now;
      ctx.mapTime.set(t);
    }
    document.body.dataset.timeline = 'past';
    renderMoment();
    renderKnowledge();
  }

  function backToLive(): void {
    pause();
    viewing = null;
    history.reset();
    delete document.body.dataset.timeline;
    ctx.shown.set(ctx.live);
    ctx.mapTime.set(null);
    renderMoment();
    renderKnowledge();
  }

  function chooseTyped(): void {
    clearProblem(momentProblem);
    const at = Date.parse(moment.value + 'Z');
    if (!moment.value || Number.isNaN(at)) {
      showProblem(momentProblem, new Error('Type a whole moment: date, then time in UTC.'));
      return;
    }
    pause();
    goTo(at);
  }

  function step(direction: 1 | -1): void {
    pause();
    const moments = history.moments();
    if (moments.length === 0) {
      return;
    }
    const at = viewing ?? (direction < 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY);
    const target = direction > 0 ? moments.find((m) => m > at) : [...moments].reverse().find((m) => m < at);
    if (target !== undefined) {
      goTo(target);
    }
  }

  function start(): void {
    const first = history.first;
    const last = history.last;
    if (first === null || last === null) {
      return;
    }
    const from = viewing === null || viewing >= last ? first : viewing;
    goTo(from);
    replay = { frame: requestAnimationFrame(tick), last: performance.now(), at: from };
    play.textContent = '⏸ Pause';
    play.setAttribute('aria-pressed', 'true');
  }

  function tick(now: number): void {
    if (!replay) {
      return;
    }
    const last = history.last ?? replay.at;
    replay.at += (now - replay.last) * Number(speed.value);
    replay.last = now;
    goTo(replay.at);
    if (replay.at >= last) {
      pause();
      return;
    }
    replay.frame = requestAnimationFrame(tick);
  }

  function pause(): void {
    if (replay) {
      cancelAnimationFrame(replay.frame);
      replay = null;
      if (viewing !== null && ctx.mapTime.value !== viewing) {
        ctx.mapTime.set(viewing);
      }
    }
    play.textContent = '▶ Replay';
    play.setAttribute('aria-pressed', 'false');
  }

  function renderMoment(): void {
    live.disabled = viewing === null;
    strip.hidden = viewing === null;
    if (viewing === null) {
      position.textContent = history.all.length ? 'Showing the live picture. Choose a moment to see the picture as it stood then.' : '';
      if (history.last !== null) {
        slider.value = String(history.last);
      }
      slider.setAttribute('aria-valuetext', 'live');
      return;
    }
    const text = stamp(viewing);
    stripText.textContent = `VIEWING THE RECORD AT ${text}`;
    slider.value = String(viewing);
    slider.setAttribute('aria-valuetext', text);
    if (document.activeElement !== moment) {
      moment.value = inputValue(viewing);
    }
    const count = history.count(viewing);
    const lastApplied = count > 0 ? history.all[count - 1] : null;
    position.textContent = `${text}: ${count.toLocaleString('en')} of ${history.all.length.toLocaleString('en')} entries applied` + (lastApplied ? `; the last, entry ${lastApplied.index} (${lastApplied.type}), at ${stamp(lastApplied.at)}.` : '.');
  }

  // The knowledge list changes at most a few times a second during replay.
  let knowledgeQueued = false;
  let knowledgeDrawnAt = 0;
  function renderKnowledge(): void {
    if (knowledgeQueued) {
      return;
    }
    const wait = replay ? Math.max(0, 250 - (performance.now() - knowledgeDrawnAt)) : 0;
    knowledgeQueued = true;
    setTimeout(() => {
      knowledgeQueued = false;
      knowledgeDrawnAt = performance.now();
      drawKnowledge();
    }, wait);
  }

  function drawKnowledge(): void {
    if (viewing === null) {
      knowledgeTitle.textContent = 'What each party knew';
      replace(knowledge, h('p', { class: 'timeline-hint' }, 'Choose a moment: this lists, for the selected conflict, alert, message or declaration (or for those changed last before that moment), what each party had been sent, had received, read and acknowledged, and when.'));
      return;
    }
    const at = viewing;
    const store = ctx.shown.value;
    const selected = ctx.selection.value;
    const chosen = selected ? index.knowledge(selected, store, at) : null;
    const items = chosen ? [chosen] : index.recent(at, Recent).map((s) => index.knowledge(s, store, at)).filter((k): k is ObjectKnowledge => k !== null);
    knowledgeTitle.textContent = chosen ? `What each party knew of the selected ${chosen.selection.kind} at ${stamp(at)}` : `What each party knew at ${stamp(at)}: the last ${items.length} changed`;
    if (items.length === 0) {
      replace(knowledge, h('p', { class: 'timeline-hint' }, selected ? `The selected ${selected.kind} did not exist yet, or its entries are not readable by you.` : 'Nothing had been recorded yet.'));
      return;
    }
    replace(knowledge, h('ul', { class: 'timeline-objects' }, items.map((k) => objectItem(k, store, at))));
  }

  function objectItem(k: ObjectKnowledge, store: Store, at: number): HTMLLIElement {
    return h(
      'li',
      { class: 'timeline-object', 'data-kind': k.selection.kind, 'data-id': k.selection.id },
      h(
        'button',
        { type: 'button', class: 'timeline-object-title', onclick: () => ctx.select(k.selection) },
        h('span', { class: 'timeline-kind' }, k.selection.kind),
        ' ',
        title(k.selection, store),
        ' ',
        h('span', { class: 'timeline-state', 'data-state': k.state }, k.state),
      ),
      h('span', { class: 'timeline-changed' }, `last changed ${time(new Date(k.changedAt).toISOString(), at)}`),
      h(
        'ul',
        { class: 'timeline-marks' },
        k.parties.map((p) =>
          h('li', { 'data-party': p.party ?? '*' }, h('strong', {}, p.party === null ? 'every party' : store.partyName(p.party)), ': ', p.facts.length ? facts(p.facts, at) : 'nothing sent'),
        ),
      ),
    );
  }

  function facts(list: Fact[], at: number): (string | HTMLElement)[] {
    const out: (string | HTMLElement)[] = [];
    list.forEach((f, i) => {
      if (i > 0) {
        out.push(', ');
      }
      out.push(h('span', { class: 'timeline-fact', 'data-fact': f.what }, f.what));
      if (f.at) {
        out.push(' ', h('time', { datetime: f.at }, time(f.at, at)));
      }
      if (f.by) {
        out.push(` by ${f.by}`);
      }
      if (f.note) {
        out.push(` (“${f.note}”)`);
      }
    });
    return out;
  }
}

/** A short name for an object in the knowledge list (party text as text). */
function title(selection: Selection, store: Store): string {
  switch (selection.kind) {
    case 'conflict': {
      const c = store.conflicts.get(selection.id) as Conflict | undefined;
      return c ? `${c.a.kind} of ${store.partyName(c.a.party)} / ${c.b.kind} of ${store.partyName(c.b.party)}` : selection.id;
    }
    case 'alert': {
      const a = store.alerts.get(selection.id) as Alert | undefined;
      return a ? `${a.a.callsign ?? a.a.track_id ?? store.partyName(a.a.party)} and ${a.b.callsign ?? a.b.track_id ?? store.partyName(a.b.party)}` : selection.id;
    }
    case 'message': {
      const m = store.messages.get(selection.id) as Message | undefined;
      return m ? `“${m.subject}” from ${store.partyName(m.from)}` : selection.id;
    }
    case 'operation':
    case 'zone': {
      const d = (selection.kind === 'operation' ? store.operations : store.zones).get(selection.id) as Declaration | undefined;
      return d ? `${d.name ?? d.id} of ${store.partyName(d.party)}` : selection.id;
    }
    default:
      return selection.id;
  }
}

/** "2026-12-01 10:02:11.125Z". */
function stamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}Z`;
}

/** A fact's time: "10:02:11.125Z", with the date when it is not T's. */
function time(value: string, at: number): string {
  const iso = new Date(value).toISOString();
  const sameDay = iso.slice(0, 10) === new Date(at).toISOString().slice(0, 10);
  return sameDay ? `${iso.slice(11, 23)}Z` : `${iso.slice(0, 10)} ${iso.slice(11, 23)}Z`;
}

/** A datetime-local value (UTC, to the millisecond). */
function inputValue(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23);
}

function maxPage(config: Record<string, unknown>): number {
  const record = config.record as { max_entries_per_request?: unknown } | undefined;
  const max = record?.max_entries_per_request;
  return typeof max === 'number' && max > 0 ? max : 1000;
}
