// What the record helper implements: the record entry of an object (by its record index) with its
// inclusion proof checked in the browser against the last verified head. The entry's bytes (when
// the caller may see them) must hash to the served leaf hash, and the leaf must be in the tree
// whose signed root this browser verified; either failing is tampering and raises the alarm.

import { ApiProblem } from '../api';
import type { ConsoleContext } from '../context';
import { h, replace, utc } from '../dom';
import { fromBase64, fromHex, toHex } from './bytes';
import { leafHash, verifyInclusion } from './merkle';
import { raiseAlarm, whenCovered } from './verifier';
import './record.css';

interface EntryItem {
  index: number;
  leaf_hash: string;
  entry?: string | null;
}

interface DecodedEntry {
  type: string;
  time: string;
  actor: string | null;
  parties: string[];
  payload: string;
}

/** An element showing the entry at `recordIndex` and whether its inclusion proof verified. */
export function proofView(ctx: ConsoleContext, recordIndex: number): HTMLElement {
  const status = h('p', { class: 'record-proof-status', role: 'status' }, `Entry ${recordIndex}: waiting for a verified head that holds it…`);
  const body = h('div', { class: 'record-proof-body' });
  const element = h('section', { class: 'record-proof', 'aria-label': `Record entry ${recordIndex}` }, status, body);
  element.dataset.index = String(recordIndex);
  element.dataset.state = 'waiting';
  if (!Number.isSafeInteger(recordIndex) || recordIndex < 0) {
    status.textContent = 'This object names no record entry.';
    element.dataset.state = 'none';
    return element;
  }
  void prove(ctx, recordIndex, element, status, body);
  return element;
}

async function prove(ctx: ConsoleContext, index: number, element: HTMLElement, status: HTMLElement, body: HTMLElement): Promise<void> {
  const failed = (reason: string) => {
    element.dataset.state = 'failed';
    replace(status, h('strong', {}, '✗ Inclusion check failed: '), reason);
    raiseAlarm(reason);
  };
  try {
    const head = await whenCovered(index);
    status.textContent = `Entry ${index}: checking its inclusion in the verified head of ${head.size} entries…`;
    const page = await ctx.api.get<{ items: EntryItem[] }>(`/v1/record/entries?start=${index}&end=${index + 1}`);
    const item = page.items.find((i) => i.index === index);
    const leaf = item ? fromHex(item.leaf_hash) : null;
    if (!item || !leaf || leaf.length !== 32) {
      failed(`The server gives no leaf hash for entry ${index}, which the verified head of ${head.size} entries holds.`);
      return;
    }
    let entry: DecodedEntry | null = null;
    if (item.entry) {
      const bytes = fromBase64(item.entry);
      if (!bytes || toHex(await leafHash(bytes)) !== toHex(leaf)) {
        failed(`The bytes served for entry ${index} do not hash to its leaf hash.`);
        return;
      }
      entry = decode(bytes, index);
      if (!entry) {
        failed(`The bytes of entry ${index} are not the canonical record entry of that index.`);
        return;
      }
    }
    const proof = await ctx.api.get<{ hashes: string[] }>(`/v1/record/proofs/inclusion?index=${index}&size=${head.size}`);
    const hashes = (proof.hashes ?? []).map(fromHex);
    if (hashes.some((x) => x === null) || !(await verifyInclusion(index, head.size, leaf, hashes as Uint8Array[], fromHex(head.root)!))) {
      failed(`Entry ${index} is not in the verified head of ${head.size} entries: its inclusion proof does not lead to the signed root.`);
      return;
    }
    element.dataset.state = 'verified';
    replace(status, h('strong', { class: 'record-ok' }, '✓ '), `Recorded as entry ${index} of ${head.size}, inclusion verified`);
    replace(body, entry ? show(entry) : h('p', { class: 'muted' }, 'Only its leaf hash is visible to you: the entry concerns other parties.'), h('p', { class: 'record-leaf' }, 'Leaf hash ', hash(toHex(leaf))));
  } catch (e) {
    element.dataset.state = 'problem';
    // A fetch that failed is not tampering: shown, no alarm.
    replace(status, h('strong', {}, 'Entry not checked: '), e instanceof ApiProblem ? `${e.title}${e.detail ? `. ${e.detail}` : ''}` : e instanceof Error ? e.message : 'the check stopped');
  }
}

/**
 * The entry's fields, or null unless the bytes are the canonical entry of `index` (docs/record.md:
 * JCS, keys in order, JSON's minimal escaping, which JSON.stringify writes too): a verifier refuses
 * bytes that do not re-encode to themselves.
 */
function decode(bytes: Uint8Array, index: number): DecodedEntry | null {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    const value = JSON.parse(text) as Record<string, unknown>;
    const { actor, parties, payload, salt, time, type } = value;
    if (
      value.index !== index ||
      (actor !== null && typeof actor !== 'string') ||
      !Array.isArray(parties) ||
      !parties.every((p) => typeof p === 'string') ||
      typeof payload !== 'string' ||
      typeof salt !== 'string' ||
      typeof time !== 'string' ||
      typeof type !== 'string'
    ) {
      return null;
    }
    const canonical = JSON.stringify({ actor, index, parties, payload, salt, time, type });
    if (canonical !== text) {
      return null;
    }
    return { type, time, actor, parties: parties as string[], payload };
  } catch {
    return null;
  }
}

function show(entry: DecodedEntry): HTMLElement {
  let payload = entry.payload;
  try {
    payload = JSON.stringify(JSON.parse(entry.payload), null, 2);
  } catch {
    // Shown as recorded.
  }
  return h(
    'div',
    {},
    h(
      'dl',
      { class: 'record-entry' },
      h('dt', {}, 'Type'),
      h('dd', {}, entry.type),
      h('dt', {}, 'Time'),
      h('dd', {}, h('time', { datetime: entry.time }, utc(entry.time))),
      h('dt', {}, 'Actor'),
      h('dd', {}, entry.actor ?? 'the service'),
      h('dt', {}, 'Parties'),
      h('dd', {}, entry.parties.length > 0 ? entry.parties.join(', ') : 'every party'),
    ),
    h('details', { class: 'record-payload' }, h('summary', {}, 'What the parties were sent (the payload as recorded)'), h('pre', {}, payload)),
  );
}

/** A hash shortened to its first 12 hex digits, whole when focused or hovered. */
export function hash(hex: string): HTMLElement {
  const short = hex.length > 16 ? `${hex.slice(0, 12)}…` : hex;
  const element = h('code', { class: 'record-hash', tabindex: 0, title: hex }, short);
  const full = () => (element.textContent = hex);
  const brief = () => (element.textContent = short);
  element.addEventListener('focus', full);
  element.addEventListener('mouseenter', full);
  element.addEventListener('blur', brief);
  element.addEventListener('mouseleave', brief);
  return element;
}
