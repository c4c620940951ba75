// The countdown to loss of separation as every view words it, ticking from the server's clock.

import { duration } from '../dom';
import type { Alert } from '../model';
import { secondsToLoss } from './geometry';

/** "loss in 1m 05s", or "in loss" once the predicted time has come. */
export function countdown(alert: Alert, now: number): string {
  if (alert.state !== 'active') {
    return 'cleared';
  }
  const seconds = secondsToLoss(alert, now);
  return alert.level === 'loss' || seconds <= 0 ? 'in loss' : `loss in ${duration(Math.ceil(seconds))}`;
}
