import type { ConsoleContext } from '../context';

export function mountLine(ctx: ConsoleContext): void {
  void ctx;
}
