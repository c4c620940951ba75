import type { ConsoleContext } from '../context';

export function mountDetails(ctx: ConsoleContext): void {
  void ctx;
}
