// One alert in the alerts panel. A row is built once per alert and updated in place, so a focused
// button keeps its focus and a refusal shown beside it stays while the alert changes around it.

import type { ConsoleContext } from '../context';
import { clearProblem, h, replace, showProblem, utc } from '../dom';
import type { Alert } from '../model';
import { upsert } from '../reducers';
import type { Store } from '../store';
import { countdown } from './countdown';
import { aircraftLine, alertParties, pairName, sideName, sides } from './describe';
import { levelIcon, levelWord } from './levels';
import { horizontal, vertical } from './units';

export class AlertRow {
  readonly element: HTMLLIElement;
  private readonly head: HTMLButtonElement;
  private readonly ttl: HTMLSpanElement;
  private readonly facts: HTMLDListElement;
  private readonly actions: HTMLDivElement;
  private readonly acknowledge: HTMLButtonElement;
  private readonly problem: HTMLSpanElement;
  private alert: Alert;

  constructor(
    private readonly ctx: ConsoleContext,
    alert: Alert,
  ) {
    this.alert = alert;
    this.ttl = h('span', { class: 'alert-ttl' });
    this.head = h('button', { type: 'button', class: 'alert-head', onclick: () => ctx.select({ kind: 'alert', id: this.alert.id }) });
    this.facts = h('dl', { class: 'alert-facts' });
    this.acknowledge = h('button', { type: 'button', class: 'alert-acknowledge', onclick: () => void this.acknowledgeIt() }, 'Acknowledge');
    this.problem = h('span', { class: 'alert-problem', hidden: true });
    this.actions = h('div', { class: 'alert-actions' }, this.acknowledge, this.problem);
    this.element = h('li', { class: 'alert-item', 'data-alert-id': alert.id }, this.head, this.facts, this.actions);
  }

  get id(): string {
    return this.alert.id;
  }

  /** Redraws the row for the alert as the shown store holds it now. */
  update(alert: Alert, store: Store, selected: boolean): void {
    this.alert = alert;
    const level = alert.level;
    this.element.className = `alert-item level-${level}`;
    this.element.dataset.level = level;
    this.element.dataset.state = alert.state;
    this.element.setAttribute('aria-current', String(selected));

    replace(this.head, levelIcon(level), h('span', { class: 'alert-level' }, levelWord[level]), h('span', { class: 'alert-pair' }, pairName(store, alert)), this.ttl);
    this.head.setAttribute('aria-pressed', String(selected));
    this.tick();

    const [first, second] = sides(alert);
    const acknowledged = alertParties(alert).map((party) => {
      const at = alert.acknowledged_by[party];
      return h(
        'span',
        { class: 'alert-ack-state', 'data-party': party, 'data-acknowledged': String(Boolean(at)) },
        `${store.partyName(party)}: ${at ? `acknowledged ${utc(at)}` : 'not acknowledged'}`,
      );
    });
    replace(
      this.facts,
      h('dt', {}, sideName(store, first)),
      h('dd', {}, aircraftLine(first)),
      h('dt', {}, sideName(store, second)),
      h('dd', {}, aircraftLine(second)),
      h('dt', {}, 'Closest'),
      h('dd', { class: 'alert-cpa' }, `${horizontal(alert.cpa.horizontal_m)} apart, ${vertical(alert.cpa.vertical_m)} vertically, at ${utc(alert.cpa.time)}`),
      h('dt', {}, 'Predicted'),
      h('dd', {}, utc(alert.predicted_at)),
      alert.state === 'cleared' ? [h('dt', {}, 'Cleared'), h('dd', { class: 'alert-cleared-reason' }, `${alert.cleared_reason ?? 'cleared'} at ${alert.cleared_at ? utc(alert.cleared_at) : 'unknown time'}`)] : null,
      h('dt', {}, 'Acknowledged'),
      h('dd', { class: 'alert-acks' }, ...acknowledged),
    );

    // Only a side acknowledges, for itself, on the live picture (the timeline's is history).
    const me = this.ctx.me;
    const mine = me.party !== null && me.may_write && !store.historical && alertParties(alert).includes(me.party);
    this.acknowledge.hidden = !mine || Boolean(alert.acknowledged_by[me.party ?? '']);
    this.acknowledge.setAttribute('aria-label', `Acknowledge the ${levelWord[level].toLowerCase()} alert: ${pairName(store, alert)}`);
    this.actions.hidden = this.acknowledge.hidden && this.problem.hidden;
  }

  /** The countdown, from the server's clock. */
  tick(): void {
    this.ttl.textContent = countdown(this.alert, this.ctx.now());
  }

  private async acknowledgeIt(): Promise<void> {
    this.acknowledge.disabled = true;
    clearProblem(this.problem);
    try {
      const acknowledged = await this.ctx.api.post<Alert>(`/v1/alerts/${encodeURIComponent(this.alert.id)}/acknowledge`, {});
      // The stream brings the same version; applying the answer now shows it at once.
      if (upsert(this.ctx.live.alerts, acknowledged, null)) {
        this.ctx.live.changed('alerts');
      }
    } catch (e) {
      showProblem(this.problem, e);
      this.actions.hidden = false;
    } finally {
      this.acknowledge.disabled = false;
    }
  }
}
