import type { ConsoleContext } from '../context';

export function mountConflicts(ctx: ConsoleContext): void {
  void ctx;
}
