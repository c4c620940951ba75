// A new warning or loss alert is impossible to miss: a notice (banner, optional sound) when the
// stream raises one, or an alert becomes a warning or a loss from a less urgent level. Only what happens
// live counts: alerts already there when the console opened, and the timeline's replay, do not.

import type { ConsoleContext } from '../context';
import type { StreamEvent } from '../events';
import type { Alert, AlertLevel } from '../model';
import { countdown } from './countdown';
import { pairName } from './describe';
import { levelRank, levelWord } from './levels';

const urgent: ReadonlySet<AlertLevel> = new Set(['warning', 'loss']);

export function watchNewAlerts(ctx: ConsoleContext): void {
  // The level each alert was last seen at: a notice when it becomes more urgent (an alert that
  // stepped down and comes back up to a warning is a new warning).
  const seen = new Map<string, number>();
  for (const alert of ctx.live.alerts.values()) {
    seen.set(alert.id, levelRank(alert.level));
  }
  ctx.events.on((events: StreamEvent[]) => {
    for (const event of events) {
      if (event.type !== 'track-alert') {
        continue;
      }
      const alert = (event.data as { alert?: Alert }).alert;
      if (!alert || typeof alert.id !== 'string') {
        continue;
      }
      const rank = levelRank(alert.level);
      const before = seen.get(alert.id);
      if (alert.state === 'active' && urgent.has(alert.level) && (before === undefined || rank < before)) {
        const level = alert.level === 'loss' ? 'loss' : 'warning';
        ctx.notify({
          kind: 'alert',
          level,
          text: `${levelWord[alert.level]} alert: ${pairName(ctx.live, alert)}, ${countdown(alert, ctx.now())}`,
          selection: { kind: 'alert', id: alert.id },
        });
      }
      seen.set(alert.id, rank);
    }
  });
}
