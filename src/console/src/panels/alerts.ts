import type { ConsoleContext } from '../context';

export function mountAlerts(ctx: ConsoleContext): void {
  void ctx;
}
