// The conflicts list: every conflict the caller sees, the ones still needing attention (open,
// acknowledged) first and the settled ones (accepted, resolved) folded away below. A side that may
// write acknowledges or accepts here, with a note.
//
// Each conflict keeps one element for its life in the list and only its text is redrawn on a
// change, so a note being typed, the focus and a refusal shown beside an action survive the
// stream's updates (the other side acknowledging while this officer types).

import './conflicts.css';
import type { ConsoleContext } from '../context';
import { clearProblem, h, replace, showProblem, utc } from '../dom';
import type { Conflict, Ref } from '../model';
import type { Store } from '../store';
import { vertical } from '../alerts/units';

type Step = 'acknowledge' | 'accept';

interface ActionForm {
  form: HTMLFormElement;
  note: HTMLInputElement;
  button: HTMLButtonElement;
  problem: HTMLElement;
}

interface Row {
  item: HTMLLIElement;
  select: HTMLButtonElement;
  body: HTMLElement;
  actions: HTMLElement;
  forms: Record<Step, ActionForm>;
  /** The conflict last drawn (the stores replace an object on each change): the same one is not redrawn. */
  drawn: Conflict | null;
}

/** The state as a word and a shape (the colour comes from CSS on data-state). */
export const ConflictStates: Record<Conflict['state'], { shape: string; word: string }> = {
  open: { shape: '▲', word: 'Open' },
  acknowledged: { shape: '◆', word: 'Acknowledged' },
  accepted: { shape: '✔', word: 'Accepted' },
  resolved: { shape: '○', word: 'Resolved' },
};

const StateOrder: Record<Conflict['state'], number> = { open: 0, acknowledged: 1, accepted: 2, resolved: 3 };

export function mountConflicts(ctx: ConsoleContext): void {
  const panel = document.getElementById('panel-conflicts')!;
  const count = document.querySelector<HTMLElement>('[data-count="conflicts"]');
  const rows = new Map<string, Row>();

  const empty = h('p', { class: 'conflicts-empty' }, 'No conflicts.');
  const currentHeading = h('h2', { class: 'conflicts-heading', id: 'conflicts-current-heading' });
  const current = h('ul', { class: 'conflict-list', 'aria-labelledby': 'conflicts-current-heading', 'data-group': 'current' });
  const settledSummary = h('summary', { class: 'conflicts-heading' });
  const settled = h('ul', { class: 'conflict-list', 'data-group': 'settled' });
  const settledGroup = h('details', { class: 'conflicts-settled' }, settledSummary, settled);
  panel.replaceChildren(empty, currentHeading, current, settledGroup);

  const rowOf = (id: string): Row => {
    let row = rows.get(id);
    if (!row) {
      row = makeRow(ctx, id);
      rows.set(id, row);
    }
    return row;
  };

  /** `everyRow`: redraw every row (another store, or party names changed), not only the changed ones. */
  const render = (everyRow = false) => {
    const store = ctx.shown.value;
    const all = [...store.conflicts.values()];
    const open = all.filter((c) => c.state === 'open' || c.state === 'acknowledged');
    const done = all.filter((c) => c.state === 'accepted' || c.state === 'resolved');
    // Needing attention: open before acknowledged, then the soonest overlap first.
    open.sort((x, y) => StateOrder[x.state] - StateOrder[y.state] || x.overlap.time_start.localeCompare(y.overlap.time_start) || x.id.localeCompare(y.id));
    // Settled: the latest change first.
    done.sort((x, y) => y.updated_at.localeCompare(x.updated_at) || x.id.localeCompare(y.id));

    for (const c of all) {
      const row = rowOf(c.id);
      if (everyRow || row.drawn !== c) {
        fill(ctx, store, row, c);
      }
    }
    // A settled conflict with a refusal or a typed note on it stays in view, at the top, until the
    // officer lets go of it: the refusal says why the action did not happen.
    const held = done.filter((c) => rowOf(c.id).item.dataset.pending === 'true');
    for (const [id, row] of rows) {
      if (!store.conflicts.has(id)) {
        row.item.remove();
        rows.delete(id);
      }
    }
    order(current, [...held, ...open].map((c) => rowOf(c.id).item));
    order(settled, done.filter((c) => !held.includes(c)).map((c) => rowOf(c.id).item));

    empty.hidden = all.length > 0;
    currentHeading.textContent = `Needing attention (${open.length})`;
    settledSummary.textContent = `Accepted and resolved (${done.length - held.length})`;
    settledGroup.hidden = done.length === held.length;
    if (count) {
      count.textContent = String(open.length);
      count.setAttribute('aria-label', `${open.length} open or acknowledged`);
    }
    markSelected();
  };

  const markSelected = () => {
    const selection = ctx.selection.value;
    for (const [id, row] of rows) {
      const selected = selection?.kind === 'conflict' && selection.id === id;
      row.item.classList.toggle('selected', selected);
      row.select.setAttribute('aria-pressed', String(selected));
    }
  };

  const changed = () => render(false);
  const renamed = () => render(true);
  let unsubscribe = ctx.shown.value.on('conflicts', changed);
  let unsubscribeParties = ctx.shown.value.on('parties', renamed);
  ctx.shown.on((store) => {
    unsubscribe();
    unsubscribeParties();
    unsubscribe = store.on('conflicts', changed);
    unsubscribeParties = store.on('parties', renamed);
    render(true);
  });
  ctx.selection.on(markSelected);
  render(true);
}

/** Puts `items` into `list` in this order, touching the DOM only when the order changed (a move blurs). */
function order(list: HTMLElement, items: HTMLElement[]): void {
  const children = [...list.children];
  if (children.length === items.length && children.every((child, i) => child === items[i])) {
    return;
  }
  list.replaceChildren(...items);
}

function makeRow(ctx: ConsoleContext, id: string): Row {
  const select = h('button', { type: 'button', class: 'conflict-select', 'aria-pressed': 'false' });
  select.addEventListener('click', () => ctx.select({ kind: 'conflict', id }));
  const body = h('div', { class: 'conflict-body' });
  const forms = {
    acknowledge: makeForm(ctx, id, 'acknowledge'),
    accept: makeForm(ctx, id, 'accept'),
  };
  const actions = h('div', { class: 'conflict-actions' }, forms.acknowledge.form, forms.accept.form);
  const item = h('li', { class: 'conflict', 'data-id': id }, select, body, actions);
  const row: Row = { item, select, body, actions, forms, drawn: null };
  // An action's outcome changes what the row shows (its form, whether it is held in view): redraw it.
  for (const form of Object.values(forms)) {
    form.form.addEventListener('drawn-stale', () => {
      row.drawn = null;
      ctx.live.changed('conflicts');
    });
  }
  return row;
}

function makeForm(ctx: ConsoleContext, id: string, step: Step): ActionForm {
  const label = step === 'acknowledge' ? 'Acknowledge' : 'Accept';
  const noteId = `conflict-${step}-note-${id}`;
  const note = h('input', { id: noteId, type: 'text', autocomplete: 'off', class: 'conflict-note', 'data-step': step });
  const button = h('button', { type: 'submit', 'data-action': step }, label);
  const problem = h('p', { class: 'conflict-problem', hidden: true });
  const form = h(
    'form',
    { class: `conflict-action conflict-${step}`, 'data-step': step },
    h('label', { for: noteId }, `Note with the ${step === 'acknowledge' ? 'acknowledgement' : 'acceptance'} (optional)`),
    h('span', { class: 'conflict-action-row' }, note, button),
    problem,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (button.disabled) {
      return;
    }
    button.disabled = true;
    const text = note.value.trim();
    ctx.api
      .post<Conflict>(`/v1/conflicts/${encodeURIComponent(id)}/${step}`, text ? { note: text } : {})
      .then((next) => {
        clearProblem(problem);
        note.value = '';
        // The answer is the conflict at its new version, read as the stream's event will be (which
        // brings the same version later, with its record index).
        ctx.live.apply('conflict', { action: step === 'acknowledge' ? 'acknowledged' : 'accepted', conflict: next }, null);
        form.dispatchEvent(new Event('drawn-stale'));
      })
      .catch((error: unknown) => {
        // The typed note stays in the field, the refusal beside the action.
        showProblem(problem, error);
        form.dispatchEvent(new Event('drawn-stale'));
      })
      .finally(() => {
        button.disabled = false;
      });
  });
  // Emptying the note lets go of a refusal kept on a conflict that has since resolved.
  note.addEventListener('input', () => {
    if (note.value === '' && form.closest('li')?.dataset.state === 'resolved') {
      clearProblem(problem);
      form.dispatchEvent(new Event('drawn-stale'));
    }
  });
  return { form, note, button, problem };
}

function fill(ctx: ConsoleContext, store: Store, row: Row, c: Conflict): void {
  row.drawn = c;
  const state = ConflictStates[c.state] ?? { shape: '?', word: c.state };
  const viewer = store.me.party;
  row.item.dataset.state = c.state;
  row.item.dataset.version = String(c.version);
  replace(
    row.select,
    h('span', { class: 'conflict-state', 'data-state': c.state }, h('span', { class: 'conflict-shape', 'aria-hidden': 'true' }, state.shape), ` ${state.word}`),
    h('span', { class: 'conflict-title' }, ` ${c.a.kind} of ${store.partyName(c.a.party)} × ${c.b.kind} of ${store.partyName(c.b.party)}`),
  );
  // The button's name is its visible text (WCAG 2.5.3); the title adds the ids for a pointer.
  row.select.title = `Conflict ${c.id}: ${sideTitle(store, c.a)} and ${sideTitle(store, c.b)}. Show its details.`;

  const parties = [...new Set([c.a.party, c.b.party])];
  replace(
    row.body,
    h('ul', { class: 'conflict-sides' }, side(store, c.a, viewer), side(store, c.b, viewer)),
    h(
      'dl',
      { class: 'conflict-facts' },
      h('dt', {}, 'Overlap (UTC)'),
      h('dd', { class: 'conflict-window' }, `${utc(c.overlap.time_start)} – ${utc(c.overlap.time_end)}`),
      h('dt', {}, 'Altitudes'),
      h('dd', { class: 'conflict-band' }, `${vertical(c.overlap.altitude_lower_m)} – ${vertical(c.overlap.altitude_upper_m)}`),
      h('dt', {}, 'Acknowledged'),
      h('dd', {}, h('ul', { class: 'conflict-marks', 'data-mark': 'acknowledged' }, parties.map((p) => mark(store, p, c.acknowledged_by[p])))),
      h('dt', {}, 'Accepted'),
      h('dd', {}, h('ul', { class: 'conflict-marks', 'data-mark': 'accepted' }, parties.map((p) => mark(store, p, c.accepted_by[p])))),
      h('dt', {}, 'Conflict'),
      h('dd', { class: 'conflict-id' }, `${c.id}, version ${c.version}`),
    ),
  );

  // Actions: only for a side that may write, in the live picture. A form with a typed note or a
  // refusal on it stays, even once the conflict resolved, so the officer sees why it was refused.
  const me = ctx.me.party;
  const mayAct = !store.historical && ctx.me.may_write && me !== null && (c.a.party === me || c.b.party === me);
  let any = false;
  for (const step of ['acknowledge', 'accept'] as const) {
    const form = row.forms[step];
    const done = me !== null && (step === 'acknowledge' ? c.acknowledged_by[me] : c.accepted_by[me]) !== undefined;
    const pending = form.note.value !== '' || !form.problem.hidden;
    const show = mayAct && ((c.state !== 'resolved' && !done) || pending);
    form.form.hidden = !show;
    any ||= show;
  }
  row.actions.hidden = !any;
  row.item.dataset.pending = String(mayAct && Object.values(row.forms).some((f) => f.note.value !== '' || !f.problem.hidden));
}

function sideTitle(store: Store, ref: Ref): string {
  return `${ref.kind} ${ref.id} (${store.partyName(ref.party)})`;
}

function side(store: Store, ref: Ref, viewer: string | null): HTMLElement {
  const own = ref.party === viewer;
  return h(
    'li',
    { class: own ? 'conflict-side own' : 'conflict-side', 'data-party': ref.party },
    own ? h('span', { class: 'own-mark' }, '★ Yours: ') : null,
    h('span', { class: 'side-kind' }, ref.kind),
    ' ',
    h('span', { class: 'side-id' }, ref.id),
    ', ',
    h('span', { class: 'side-party' }, store.partyName(ref.party)),
    `, version ${ref.version}`,
  );
}

function mark(store: Store, party: string, time: string | undefined): HTMLElement {
  return h('li', { 'data-party': party, 'data-done': String(time !== undefined) }, `${store.partyName(party)}: `, time ? utc(time) : 'not yet');
}
