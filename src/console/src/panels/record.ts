import type { ConsoleContext } from '../context';

export function mountRecord(ctx: ConsoleContext): void {
  void ctx;
}
