// The compose form: kind, recipients, subject, body, the acknowledgement clock within the agreed
// bounds, and references picked by clicking an operation, zone, conflict or alert on the map or in
// a list (through ctx.picker), or taken from the selected object. A refusal is shown next to Send
// and everything typed stays.

import type { ConsoleContext } from '../context';
import { clearProblem, duration, h, replace, showProblem } from '../dom';
import type { LineRef, Message, Selection } from '../model';
import { upsert } from '../reducers';
import { isRefKind, kindInfo, Kinds } from './kinds';
import { refLabel } from './refs';

const MaxRefs = 20;

interface LineConfig {
  ack_within_s?: number;
  min_ack_within_s?: number;
  max_ack_within_s?: number;
}

export class ComposeForm {
  readonly element: HTMLFormElement;
  private readonly refs: LineRef[] = [];
  private readonly kind: HTMLSelectElement;
  private readonly recipients: HTMLElement;
  private readonly subject: HTMLInputElement;
  private readonly body: HTMLTextAreaElement;
  private readonly requiresAck: HTMLInputElement;
  private readonly ackWithin: HTMLInputElement;
  private readonly ackUnit: HTMLSelectElement;
  private readonly ackHint: HTMLElement;
  private readonly kindHint: HTMLElement;
  private readonly chips: HTMLUListElement;
  private readonly pick: HTMLButtonElement;
  private readonly addSelected: HTMLButtonElement;
  private readonly pickStatus: HTMLElement;
  private readonly send: HTMLButtonElement;
  private readonly problem: HTMLElement;
  private readonly sent: HTMLElement;
  private readonly place: HTMLFieldSetElement;
  private readonly lat: HTMLInputElement;
  private readonly lng: HTMLInputElement;
  private readonly placeTime: HTMLInputElement;
  private readonly picker = (selection: Selection) => this.addRef(selection);

  constructor(private readonly ctx: ConsoleContext) {
    const line = (ctx.config.line ?? {}) as LineConfig;
    const min = line.min_ack_within_s ?? 1;
    const max = line.max_ack_within_s ?? 86_400;
    const initial = line.ack_within_s ?? 300;

    this.kind = h('select', { id: 'line-kind', name: 'kind' }, Kinds.map((k) => h('option', { value: k.id }, k.label)));
    this.kindHint = h('p', { class: 'hint', id: 'line-kind-hint' });
    this.recipients = h('div', { class: 'recipients' });
    this.subject = h('input', { id: 'line-subject', name: 'subject', maxlength: 200, autocomplete: 'off' });
    this.body = h('textarea', { id: 'line-body', name: 'body', rows: 4, maxlength: 8000 });
    this.requiresAck = h('input', { id: 'line-requires-ack', name: 'requires_ack', type: 'checkbox', checked: true });
    const inMinutes = initial >= 60 && initial % 60 === 0;
    this.ackWithin = h('input', { id: 'line-ack-within', name: 'ack_within', type: 'number', step: 'any', inputmode: 'decimal', value: inMinutes ? initial / 60 : initial, 'aria-describedby': 'line-ack-hint' });
    this.ackUnit = h('select', { id: 'line-ack-unit', name: 'ack_unit', 'aria-label': 'Unit of the acknowledgement time' }, h('option', { value: '1', selected: !inMinutes }, 'seconds'), h('option', { value: '60', selected: inMinutes }, 'minutes'));
    this.ackHint = h('p', { class: 'hint', id: 'line-ack-hint' }, `The agreed bounds: ${duration(min)} to ${duration(max)}.`);
    this.chips = h('ul', { class: 'ref-chips', 'aria-label': 'Picked references' });
    this.pick = h('button', { type: 'button', id: 'line-pick', 'aria-pressed': 'false' }, 'Pick on map');
    this.addSelected = h('button', { type: 'button', id: 'line-add-selected', disabled: true }, 'Add the selected object');
    this.pickStatus = h('p', { class: 'hint', id: 'line-pick-status', 'aria-live': 'polite' });
    this.send = h('button', { type: 'submit', id: 'line-send' }, 'Send');
    this.problem = h('p', { id: 'line-send-problem', class: 'problem', hidden: true });
    this.sent = h('p', { id: 'line-sent', class: 'hint', role: 'status' });
    this.lat = h('input', { id: 'line-place-lat', name: 'lat', type: 'number', step: 'any', inputmode: 'decimal', placeholder: '35.5' });
    this.lng = h('input', { id: 'line-place-lng', name: 'lng', type: 'number', step: 'any', inputmode: 'decimal', placeholder: '35.8' });
    this.placeTime = h('input', { id: 'line-place-time', name: 'time', autocomplete: 'off', placeholder: '2030-01-01T09:00:00Z' });
    this.place = h(
      'fieldset',
      { class: 'field place', hidden: true },
      h('legend', {}, 'Place and time (when no alert records it)'),
      h('span', { class: 'place-fields' }, h('label', { for: this.lat.id }, 'Latitude (°)'), this.lat, h('label', { for: this.lng.id }, 'Longitude (°)'), this.lng),
      h('label', { for: this.placeTime.id }, 'Time (UTC, RFC 3339)'),
      this.placeTime,
    );

    this.element = h(
      'form',
      { class: 'compose', id: 'line-compose', 'aria-label': 'New message' },
      h('div', { class: 'field' }, h('label', { for: this.kind.id }, 'Kind'), this.kind, this.kindHint),
      h('fieldset', { class: 'field' }, h('legend', {}, 'To'), this.recipients),
      h('div', { class: 'field' }, h('label', { for: this.subject.id }, 'Subject'), this.subject),
      h('div', { class: 'field' }, h('label', { for: this.body.id }, 'Message'), this.body),
      h(
        'div',
        { class: 'field ack-field' },
        h('span', { class: 'check' }, this.requiresAck, h('label', { for: this.requiresAck.id }, 'Requires acknowledgement')),
        h('span', { class: 'ack-within' }, h('label', { for: this.ackWithin.id }, 'within'), this.ackWithin, this.ackUnit),
        this.ackHint,
      ),
      h(
        'fieldset',
        { class: 'field' },
        h('legend', {}, 'References'),
        this.chips,
        h('div', { class: 'ref-actions' }, this.pick, this.addSelected),
        this.pickStatus,
      ),
      this.place,
      h('div', { class: 'form-actions' }, this.send, this.problem),
      this.sent,
    );
    // The service is the judge of what may be sent (bounds, kinds, references): its refusal is
    // shown next to Send, so the browser's own validation would only hide the agreed reasons.
    this.element.noValidate = true;

    this.kind.addEventListener('change', () => this.drawKindHint());
    this.requiresAck.addEventListener('change', () => {
      this.ackWithin.disabled = !this.requiresAck.checked;
      this.ackUnit.disabled = !this.requiresAck.checked;
    });
    this.pick.addEventListener('click', () => (ctx.picker.value === this.picker ? this.stopPicking() : this.startPicking()));
    this.addSelected.addEventListener('click', () => {
      const selection = ctx.selection.value;
      if (selection) {
        this.addRef(selection);
      }
    });
    ctx.picker.on((picker) => this.drawPicking(picker === this.picker));
    ctx.selection.on(() => this.drawSelected());
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && ctx.picker.value === this.picker) {
        this.stopPicking();
      }
    });
    this.element.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.submit();
    });

    this.drawRecipients();
    this.drawKindHint();
    this.drawChips();
    this.drawSelected();
  }

  /** The recipients: every other party (observers receive no line messages); ticks are kept. */
  drawRecipients(): void {
    const ticked = new Set([...this.recipients.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value));
    const others = [...this.ctx.live.parties.values()].filter((p) => p.role === 'party' && p.id !== this.ctx.me.party).sort((a, b) => a.name.localeCompare(b.name));
    replace(
      this.recipients,
      others.length === 0
        ? h('p', { class: 'hint' }, 'There is no other party to write to.')
        : others.map((p) =>
            h(
              'span',
              { class: 'check' },
              h('input', { type: 'checkbox', id: `line-to-${p.id}`, name: 'to', value: p.id, checked: ticked.has(p.id) || others.length === 1 }),
              h('label', { for: `line-to-${p.id}` }, p.name),
            ),
          ),
    );
  }

  /** Stops picking when the form is hidden or cannot be used. */
  stopPicking(): void {
    if (this.ctx.picker.value === this.picker) {
      this.ctx.picker.set(null);
    }
  }

  private startPicking(): void {
    this.ctx.picker.set(this.picker);
  }

  private drawPicking(picking: boolean): void {
    this.pick.setAttribute('aria-pressed', String(picking));
    this.pick.textContent = picking ? 'Stop picking' : 'Pick on map';
    this.pickStatus.textContent = picking ? 'Picking: click an operation, zone, conflict or alert on the map or in a list. Escape stops.' : '';
    document.body.classList.toggle('picking', picking);
  }

  private drawSelected(): void {
    const selection = this.ctx.selection.value;
    const usable = selection !== null && isRefKind(selection.kind);
    this.addSelected.disabled = !usable;
    this.addSelected.textContent = usable ? `Add the selected ${refLabel(this.ctx.shown.value, selection)}` : 'Add the selected object';
  }

  private drawKindHint(): void {
    this.kindHint.textContent = kindInfo(this.kind.value).needs;
    const unsafe = this.kind.value === 'unsafe-conduct';
    this.place.hidden = !unsafe;
    if (unsafe && !this.placeTime.value) {
      this.placeTime.value = new Date(this.ctx.now()).toISOString().slice(0, 19) + 'Z';
    }
  }

  private addRef(selection: Selection): void {
    if (!isRefKind(selection.kind)) {
      return;
    }
    if (this.refs.some((r) => r.kind === selection.kind && r.id === selection.id)) {
      this.pickStatus.textContent = `${refLabel(this.ctx.shown.value, selection)} is referenced already.`;
      return;
    }
    if (this.refs.length >= MaxRefs) {
      this.pickStatus.textContent = `At most ${MaxRefs} references.`;
      return;
    }
    this.refs.push({ kind: selection.kind, id: selection.id });
    this.drawChips();
    this.pickStatus.textContent = `Added ${refLabel(this.ctx.shown.value, selection)}.`;
  }

  private drawChips(): void {
    replace(
      this.chips,
      this.refs.length === 0
        ? h('li', { class: 'hint' }, 'None.')
        : this.refs.map((ref, i) =>
            h(
              'li',
              { class: 'ref-chip picked', 'data-ref-kind': ref.kind, 'data-ref-id': ref.id, title: `${ref.kind} ${ref.id}` },
              refLabel(this.ctx.shown.value, ref),
              h(
                'button',
                {
                  type: 'button',
                  class: 'chip-remove',
                  'aria-label': `Remove ${refLabel(this.ctx.shown.value, ref)}`,
                  onclick: () => {
                    this.refs.splice(i, 1);
                    this.drawChips();
                    this.pick.focus();
                  },
                },
                '✕',
              ),
            ),
          ),
    );
  }

  private draft(): Record<string, unknown> {
    const to = [...this.recipients.querySelectorAll<HTMLInputElement>('input:checked')].map((i) => i.value);
    const requiresAck = this.requiresAck.checked;
    return {
      to,
      kind: this.kind.value,
      subject: this.subject.value,
      body: this.body.value,
      requires_ack: requiresAck,
      ack_within_s: requiresAck ? Number(this.ackWithin.value) * Number(this.ackUnit.value) : undefined,
      refs: this.refs.map((r) => ({ kind: r.kind, id: r.id })),
      // A place only when the officer gave one; the service checks its bounds and time window.
      place:
        this.kind.value === 'unsafe-conduct' && (this.lat.value.trim() !== '' || this.lng.value.trim() !== '')
          ? { lat: number(this.lat.value), lng: number(this.lng.value), time: this.placeTime.value.trim() || null }
          : undefined,
    };
  }

  private async submit(): Promise<void> {
    clearProblem(this.problem);
    this.sent.textContent = '';
    if (this.requiresAck.checked && (this.ackWithin.value.trim() === '' || !Number.isFinite(Number(this.ackWithin.value)))) {
      // Left empty, the service would use its default: the officer who cleared the field meant another time.
      showProblem(this.problem, new Error('Give the time within which the acknowledgement is required, as a number.'));
      this.ackWithin.focus();
      return;
    }
    this.send.disabled = true;
    try {
      const message = await this.ctx.api.post<Message>('/v1/line/messages', this.draft());
      if (upsert(this.ctx.live.messages, message, message.record_index ?? null)) {
        this.ctx.live.changed('messages');
      }
      this.subject.value = '';
      this.body.value = '';
      this.refs.length = 0;
      this.lat.value = '';
      this.lng.value = '';
      this.placeTime.value = '';
      this.drawChips();
      this.drawKindHint();
      this.stopPicking();
      this.sent.textContent = `Sent “${message.subject}” to ${message.to.map((p) => this.ctx.live.partyName(p)).join(', ')}.`;
    } catch (error) {
      showProblem(this.problem, error);
    } finally {
      this.send.disabled = false;
    }
  }
}

/** A typed number, or null (refused by the service as missing) when the field is empty or unreadable. */
function number(text: string): number | null {
  const value = Number(text);
  return text.trim() === '' || !Number.isFinite(value) ? null : value;
}
