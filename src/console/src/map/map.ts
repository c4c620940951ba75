import type { ConsoleContext } from '../context';

export function mountMap(ctx: ConsoleContext): void {
  void ctx;
}
