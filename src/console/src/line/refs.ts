// How a reference (operation, zone, conflict, alert) reads on screen: its kind and its name when
// the caller may see one, else its id.

import type { LineRef } from '../model';
import type { Store } from '../store';

export function refLabel(store: Store, ref: LineRef): string {
  if (ref.kind === 'operation' || ref.kind === 'zone') {
    const declaration = (ref.kind === 'operation' ? store.operations : store.zones).get(ref.id);
    if (declaration?.name) {
      return `${ref.kind} ${declaration.name}`;
    }
  }
  return `${ref.kind} ${shortId(ref.id)}`;
}

/**
 * Ids are long ("op-" + a UUIDv7 whose first half is the creation time): the prefix and the random
 * last characters tell them apart on screen (the full id is in the title).
 */
export function shortId(id: string): string {
  if (id.length <= 16) {
    return id;
  }
  const dash = id.indexOf('-');
  return `${dash > 0 && dash < 8 ? id.slice(0, dash + 1) : ''}…${id.slice(-8)}`;
}
