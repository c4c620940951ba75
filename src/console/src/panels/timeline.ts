import type { ConsoleContext } from '../context';

export function mountTimeline(ctx: ConsoleContext): void {
  void ctx;
}
