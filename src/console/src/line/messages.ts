// One box of the line (inbox, sent, or everything for the admin): each message with its kind,
// parties, subject, sent time, references, and per recipient its receipt, escalation level and
// acknowledgement clock. Items are kept by id and updated in place, so a new receipt never takes
// the focus or the text an officer is typing into an acknowledgement.

import type { ConsoleContext } from '../context';
import { clearProblem, duration, h, replace, showProblem, utc } from '../dom';
import type { Message, Selection } from '../model';
import { upsert } from '../reducers';
import type { Store } from '../store';
import { clockOf, worstClock, type Clock } from './clock';
import { kindInfo } from './kinds';
import { refLabel } from './refs';

export type Box = 'inbox' | 'sent' | 'all';

const OfficerKey = 'deconflict.line.officer';

interface Item {
  version: number;
  root: HTMLLIElement;
  summary: HTMLButtonElement;
  receipts: HTMLElement;
  detail: HTMLElement;
  ack: HTMLElement | null;
}

export class MessageList {
  readonly element: HTMLUListElement;
  private readonly items = new Map<string, Item>();
  private readonly open = new Set<string>();
  /** Messages whose read receipt is on its way (opening twice sends it once). */
  private readonly reading = new Set<string>();
  /** Messages a line-overdue event named while this console watched: drawn with a flash. */
  private readonly escalated = new Set<string>();
  private store: Store;

  constructor(
    private readonly ctx: ConsoleContext,
    private readonly box: Box,
    label: string,
  ) {
    this.store = ctx.shown.value;
    this.element = h('ul', { class: 'line-messages', 'aria-label': label });
  }

  /** The messages of this box in `store`, newest first. */
  messages(store: Store): Message[] {
    const me = store.me.party;
    const all = [...store.messages.values()].filter((m) =>
      this.box === 'all' ? true : this.box === 'sent' ? m.from === me : me !== null && m.to.includes(me),
    );
    return all.sort((a, b) => b.sent_at.localeCompare(a.sent_at) || b.id.localeCompare(a.id));
  }

  /** Draws `store`: a different store (the timeline's) starts afresh; the same one updates in place. */
  render(store: Store): void {
    if (store !== this.store) {
      this.store = store;
      this.items.clear();
      this.open.clear();
      this.element.replaceChildren();
    }
    const messages = this.messages(store);
    const keep = new Set(messages.map((m) => m.id));
    for (const [id, item] of this.items) {
      if (!keep.has(id)) {
        item.root.remove();
        this.items.delete(id);
      }
    }
    for (const message of messages) {
      const item = this.items.get(message.id);
      if (!item) {
        this.items.set(message.id, this.create(message));
      } else if (item.version !== message.version) {
        this.update(item, message);
      }
    }
    // Reorder only when needed: moving a node would take the focus from what is inside it.
    const wanted = messages.map((m) => this.items.get(m.id)!.root);
    const current = [...this.element.children];
    if (wanted.length !== current.length || wanted.some((node, i) => node !== current[i])) {
      const focused = document.activeElement;
      this.element.replaceChildren(...wanted);
      if (focused instanceof HTMLElement && this.element.contains(focused)) {
        focused.focus();
      }
    }
    if (messages.length === 0) {
      this.element.append(h('li', { class: 'line-empty' }, this.box === 'sent' ? 'Nothing sent.' : 'No messages.'));
    } else {
      this.element.querySelector(':scope > .line-empty')?.remove();
    }
    this.tick();
  }

  /** Redraws every clock from the server's time (each second), or from the moment a historical store shows. */
  tick(): void {
    const now = this.moment();
    for (const [id, item] of this.items) {
      const message = this.store.messages.get(id);
      if (!message) {
        continue;
      }
      for (const slot of item.root.querySelectorAll<HTMLElement>('[data-clock]')) {
        const recipient = slot.dataset.clock!;
        const clock = recipient === '*' ? worstClock(message, now)?.clock ?? null : clockOf(message, recipient, now);
        drawClock(slot, clock, now);
      }
      const overdue = item.root.querySelector('[data-clock][data-state="overdue"]') !== null;
      item.root.classList.toggle('overdue', overdue);
    }
  }

  /** Marks a message escalated (a line-overdue event arrived for it). */
  markEscalated(id: string): void {
    this.escalated.add(id);
    this.items.get(id)?.root.classList.add('escalated');
  }

  /** Opens a message (shows its body; marks it read when it is in my inbox) and focuses it. */
  reveal(id: string): boolean {
    const item = this.items.get(id);
    if (!item) {
      return false;
    }
    this.setOpen(id, true);
    item.root.scrollIntoView({ block: 'nearest' });
    item.summary.focus();
    return true;
  }

  private create(message: Message): Item {
    const summary = h('button', { type: 'button', class: 'msg-summary', 'aria-expanded': 'false', 'aria-controls': `msg-detail-${this.box}-${message.id}` });
    const refs = this.refs(message);
    const receipts = h('div', { class: 'msg-receipts' });
    const detail = h('div', { class: 'msg-detail', id: `msg-detail-${this.box}-${message.id}`, hidden: true });
    const root = h('li', { class: 'msg', 'data-message': message.id }, summary, refs, receipts, detail);
    const item: Item = { version: -1, root, summary, receipts, detail, ack: null };
    summary.addEventListener('click', () => {
      const opening = !this.open.has(message.id);
      this.setOpen(message.id, opening);
      if (opening) {
        this.ctx.select({ kind: 'message', id: message.id });
      }
    });
    if (this.escalated.has(message.id)) {
      root.classList.add('escalated');
    }
    this.update(item, message);
    return item;
  }

  private update(item: Item, message: Message): void {
    item.version = message.version;
    const store = this.store;
    const me = store.me.party;
    const kind = kindInfo(message.kind);
    const mine = me !== null && message.receipts[me] !== undefined;
    const unread = this.box === 'inbox' && mine && !message.receipts[me!].read_at;
    const to = message.to.map((p) => store.partyName(p)).join(', ');
    replace(
      item.summary,
      h('span', { class: 'msg-kind', title: kind.label }, kind.tag),
      h('span', { class: 'msg-subject' }, unread ? h('span', { class: 'msg-unread' }, '● New: ') : null, message.subject),
      h('span', { class: 'msg-parties' }, `From ${store.partyName(message.from)} to ${to}`),
      h('time', { class: 'msg-sent', datetime: message.sent_at }, `Sent ${utc(message.sent_at)}`),
      message.requires_ack ? h('span', { class: 'msg-clock', 'data-clock': this.box === 'inbox' && mine ? me! : '*' }) : h('span', { class: 'msg-clock msg-noack' }, 'No acknowledgement required'),
    );
    item.root.classList.toggle('unread', unread);
    this.drawReceipts(item, message);
    this.drawDetail(item, message);
  }

  private refs(message: Message): HTMLElement | null {
    if (message.refs.length === 0) {
      return null;
    }
    return h(
      'div',
      { class: 'msg-refs', role: 'group', 'aria-label': 'References' },
      'Refs: ',
      message.refs.map((ref) =>
        h(
          'button',
          {
            type: 'button',
            class: 'ref-chip',
            'data-ref-kind': ref.kind,
            'data-ref-id': ref.id,
            title: `Select ${ref.kind} ${ref.id}`,
            onclick: () => this.ctx.select({ kind: ref.kind as Selection['kind'], id: ref.id }),
          },
          refLabel(this.store, ref),
        ),
      ),
    );
  }

  private drawReceipts(item: Item, message: Message): void {
    const store = this.store;
    const rows = message.to.map((party) => {
      const r = message.receipts[party];
      if (!r) {
        return null;
      }
      const state = r.acknowledged_at ? 'acknowledged' : r.read_at ? 'read' : r.delivered_at ? 'delivered' : 'not yet delivered';
      return h(
        'li',
        { class: 'receipt', 'data-party': party, 'data-receipt': state },
        h('span', { class: 'receipt-party' }, store.partyName(party)),
        h('span', { class: `receipt-state receipt-${state.replace(/ /g, '-')}` }, receiptMark(state), ' ', state),
        message.requires_ack && !r.acknowledged_at ? h('span', { class: 'msg-clock', 'data-clock': party }) : null,
        message.requires_ack ? h('span', { class: 'receipt-level', 'data-level': r.escalation_level }, escalationText(r.escalation_level, this.maxLevel())) : null,
        h(
          'span',
          { class: 'receipt-times' },
          r.delivered_at ? `delivered ${utc(r.delivered_at)}` : null,
          r.read_at ? `; read ${utc(r.read_at)}` : null,
        ),
        r.acknowledged_at
          ? h('span', { class: 'receipt-ack' }, `Acknowledged by ${r.acknowledged_by ?? 'unnamed'} at ${utc(r.acknowledged_at)}`, r.note ? h('span', { class: 'receipt-note' }, `: “${r.note}”`) : null)
          : null,
      );
    });
    replace(item.receipts, h('ul', { class: 'receipt-list', 'aria-label': 'Receipts' }, rows));
  }

  private drawDetail(item: Item, message: Message): void {
    const store = this.store;
    const me = store.me.party;
    if (!item.detail.firstChild) {
      item.detail.append(h('p', { class: 'msg-body' }, message.body || '(no text)'));
    }
    const mayAck =
      !store.historical && this.box === 'inbox' && me !== null && message.requires_ack && !!message.receipts[me] && !message.receipts[me].acknowledged_at && store.me.may_write;
    if (mayAck && !item.ack) {
      item.ack = this.ackForm(message.id);
      item.detail.append(item.ack);
    } else if (!mayAck && item.ack) {
      item.ack.remove();
      item.ack = null;
    }
  }

  private ackForm(id: string): HTMLElement {
    const name = h('input', { id: `ack-by-${id}`, name: 'by', autocomplete: 'name', maxlength: 100, value: sessionStorage.getItem(OfficerKey) ?? '' });
    const note = h('textarea', { id: `ack-note-${id}`, name: 'note', rows: 2, maxlength: 2000 });
    const problem = h('p', { class: 'problem', hidden: true });
    const submit = h('button', { type: 'submit' }, 'Acknowledge');
    const form = h(
      'form',
      { class: 'ack-form', 'aria-label': 'Acknowledge this message' },
      h('label', { for: name.id }, 'Officer’s name'),
      name,
      h('label', { for: note.id }, 'Note (optional)'),
      note,
      h('div', { class: 'form-actions' }, submit, problem),
    );
    form.noValidate = true;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      submit.disabled = true;
      clearProblem(problem);
      const by = name.value;
      this.ctx.api
        .post<Message>(`/v1/line/messages/${encodeURIComponent(id)}/acknowledge`, { by, note: note.value || null })
        .then((message) => {
          sessionStorage.setItem(OfficerKey, by.trim());
          this.accept(message);
        })
        .catch((error: unknown) => showProblem(problem, error))
        .finally(() => {
          submit.disabled = false;
        });
    });
    return form;
  }

  private setOpen(id: string, open: boolean): void {
    const item = this.items.get(id);
    if (!item) {
      return;
    }
    if (open) {
      this.open.add(id);
    } else {
      this.open.delete(id);
    }
    item.detail.hidden = !open;
    item.summary.setAttribute('aria-expanded', String(open));
    item.root.classList.toggle('open', open);
    const me = this.store.me.party;
    const message = this.store.messages.get(id);
    if (open && message && this.box === 'inbox' && me && message.receipts[me] && !message.receipts[me].read_at && !this.store.historical && !this.reading.has(id)) {
      // Reading is a receipt the sender sees: marked once, when the officer opens it.
      this.reading.add(id);
      this.ctx.api
        .post<Message>(`/v1/line/messages/${encodeURIComponent(id)}/read`)
        .then((m) => this.accept(m))
        .catch(() => {
          // Not marked read this time; the next opening tries again. Nothing the officer must act on.
        })
        .finally(() => this.reading.delete(id));
    }
  }

  /** An answer of the API holds the message at its new version: show it before its event arrives. */
  private accept(message: Message): void {
    if (upsert(this.ctx.live.messages, message, message.record_index ?? null)) {
      this.ctx.live.changed('messages');
    }
  }

  /**
   * The time the clocks count from: now on the server's clock; for the timeline's store, the
   * moment it shows (the map's time, else its last signed head), so a past clock reads as it stood.
   */
  private moment(): number {
    if (!this.store.historical) {
      return this.ctx.now();
    }
    return this.ctx.mapTime.value ?? (this.store.head ? Date.parse(this.store.head.timestamp) : this.ctx.now());
  }

  private maxLevel(): number {
    const line = this.ctx.config.line as { max_escalation_level?: number } | undefined;
    return line?.max_escalation_level ?? 0;
  }
}

function receiptMark(state: string): string {
  return state === 'acknowledged' ? '✔' : state === 'read' ? '◉' : state === 'delivered' ? '○' : '…';
}

function escalationText(level: number, max: number): string {
  return level === 0 ? 'Not escalated' : `Escalation level ${level}${max ? ` of ${max}` : ''}`;
}

function drawClock(slot: HTMLElement, clock: Clock | null, now: number): void {
  if (!clock) {
    slot.dataset.state = 'acknowledged';
    slot.textContent = '✔ All acknowledged';
    return;
  }
  slot.dataset.state = clock.state;
  const mark = clock.state === 'overdue' ? '⚠ ' : clock.state === 'pending' ? '⏱ ' : clock.state === 'acknowledged' ? '✔ ' : '';
  const next = clock.nextEscalationAt !== null ? `, next escalation in ${duration(Math.max(0, Math.ceil((clock.nextEscalationAt - now) / 1000)))}` : '';
  slot.textContent = mark + clock.text + next;
}
