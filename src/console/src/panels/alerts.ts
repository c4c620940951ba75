// The alerts panel: active alerts, most urgent first (loss, warning, caution, advisory, then the
// soonest loss of separation), each with its level as word, shape and colour, both aircraft as
// the viewer may see them, the countdown ticking from the server's clock, the closest approach,
// each side's acknowledgement and the Acknowledge action; cleared alerts in a closed section.

import '../alerts/alerts.css';
import type { ConsoleContext } from '../context';
import { h, replace } from '../dom';
import type { Alert } from '../model';
import type { Store } from '../store';
import { secondsToLoss } from '../alerts/geometry';
import { levelRank } from '../alerts/levels';
import { watchNewAlerts } from '../alerts/notify';
import { AlertRow } from '../alerts/row';

/** Cleared alerts kept in the panel: the latest, by when they cleared. */
const maxCleared = 50;

export function mountAlerts(ctx: ConsoleContext): void {
  const panel = document.getElementById('panel-alerts')!;
  const count = document.querySelector<HTMLElement>('[data-count="alerts"]');
  const empty = h('p', { class: 'alert-empty' }, 'No active alert.');
  const active = h('ol', { class: 'alert-list', 'aria-label': 'Active alerts, most urgent first' });
  const clearedList = h('ol', { class: 'alert-list', 'aria-label': 'Cleared alerts, latest first' });
  const clearedTitle = h('summary', {}, 'Cleared');
  const cleared = h('details', { class: 'alert-cleared' }, clearedTitle, clearedList);
  panel.append(empty, active, cleared);

  const rows = new Map<string, AlertRow>();
  const render = () => {
    const store = ctx.shown.value;
    const now = ctx.now();
    const all = [...store.alerts.values()];
    const live = all.filter((a) => a.state === 'active').sort((x, y) => levelRank(x.level) - levelRank(y.level) || secondsToLoss(x, now) - secondsToLoss(y, now) || x.id.localeCompare(y.id));
    const gone = all
      .filter((a) => a.state === 'cleared')
      .sort((x, y) => (y.cleared_at ?? '').localeCompare(x.cleared_at ?? ''))
      .slice(0, maxCleared);
    place(active, live, rows, store);
    place(clearedList, gone, rows, store);
    for (const [id, row] of rows) {
      if (!row.element.isConnected) {
        rows.delete(id);
      }
    }
    empty.hidden = live.length > 0;
    replace(clearedTitle, `Cleared (${gone.length})`);
    cleared.hidden = gone.length === 0;
    if (count) {
      count.textContent = live.length > 0 ? String(live.length) : '';
    }
  };

  /** Puts the rows of `alerts` into `list` in that order, moving nodes only when the order changed. */
  const place = (list: HTMLElement, alerts: Alert[], known: Map<string, AlertRow>, store: Store) => {
    const selection = ctx.selection.value;
    const wanted = alerts.map((alert) => {
      let row = known.get(alert.id);
      if (!row) {
        row = new AlertRow(ctx, alert);
        known.set(alert.id, row);
      }
      row.update(alert, store, selection?.kind === 'alert' && selection.id === alert.id);
      return row.element;
    });
    const current = [...list.children];
    if (current.length !== wanted.length || current.some((child, i) => child !== wanted[i])) {
      const focused = document.activeElement;
      list.replaceChildren(...wanted);
      if (focused instanceof HTMLElement && focused.isConnected && focused !== document.activeElement) {
        focused.focus();
      }
    }
  };

  let unsubscribe: () => void = () => {};
  const watch = (store: Store) => {
    unsubscribe();
    unsubscribe = store.on('alerts', render);
    render();
  };
  watch(ctx.shown.value);
  ctx.shown.on(watch);
  ctx.selection.on(render);
  window.setInterval(() => {
    for (const row of rows.values()) {
      row.tick();
    }
  }, 1000);
  watchNewAlerts(ctx);
}
