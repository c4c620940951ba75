// The console's own check of the record: the service's signature on every checkpoint it receives
// and the consistency of each with the last one this browser verified (since the page opened, or the one
// kept in local storage for this server and party from an earlier visit). A failed check is
// tampering (or a split view) and raises the console-wide alarm; a fetch that fails is not, and is
// only shown. Checks run one at a time, on start and on every record-head or cosignature event.

import { ApiProblem } from '../api';
import type { ConsoleContext } from '../context';
import type { RecordHead } from '../model';
import { Signal } from '../signal';
import { fromBase64, fromHex, toHex } from './bytes';
import { verifyConsistency } from './merkle';
import { type Checkpoint, checkCosignature, checkSignature, parseCheckpoint, parseVerifierKey, type VerifierKey } from './note';

/** A checkpoint this browser verified (signature, and consistency with the one before). */
export interface VerifiedHead {
  size: number;
  /** Root hash, hex. */
  root: string;
  origin: string;
  /** When this browser verified it, ms on the server's clock. */
  verifiedAt: number;
}

/** What is kept in local storage per server and party. */
export interface RememberedHead {
  key: string;
  size: number;
  root: string;
  verified_at: string;
}

export interface ConsistencyCheck {
  from: number;
  to: number;
  /** True when there was nothing before to compare with (this browser's first checkpoint of this server). */
  first: boolean;
  at: number;
}

export interface Witness {
  party: string;
  size: number;
  /** Unix seconds, as signed. */
  timestamp: number;
  /** True when its cosignature line verified here with the party's registered key; null when not checked. */
  verified: boolean | null;
}

export interface RecordState {
  key: VerifierKey | null;
  head: VerifiedHead | null;
  /** The remembered checkpoint this page started from (null: none). */
  remembered: RememberedHead | null;
  consistency: ConsistencyCheck | null;
  /** The reason the record check failed (also the alarm's), or null. */
  failure: string | null;
  /** A fetch that failed (not tampering), or null. */
  problem: string | null;
  /** The head as JSON (GET /v1/record/head) when it is the verified one: its time and cosignatures. */
  served: RecordHead | null;
  /** Each witness's latest cosignature of a verified head. */
  witnesses: Map<string, Witness>;
  checking: boolean;
}

export const recordState = new Signal<RecordState>({
  key: null,
  head: null,
  remembered: null,
  consistency: null,
  failure: null,
  problem: null,
  served: null,
  witnesses: new Map(),
  checking: false,
});

let context: ConsoleContext | null = null;
let running = false;
let again = false;

/** Where the last verified checkpoint is kept: per server and per party (admin for the admin). */
export function storageKey(ctx: ConsoleContext): string {
  return `deconflict.record.${ctx.server}.${ctx.me.party ?? 'admin'}`;
}

function update(change: Partial<RecordState>): void {
  recordState.set({ ...recordState.value, ...change });
}

function fail(reason: string): void {
  update({ failure: reason });
  if (context && context.alarm.value === null) {
    context.alarm.set(reason);
  }
}

function readRemembered(ctx: ConsoleContext): RememberedHead | null {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(storageKey(ctx)) ?? 'null');
    if (value && typeof value === 'object') {
      const r = value as RememberedHead;
      if (typeof r.key === 'string' && Number.isSafeInteger(r.size) && typeof r.root === 'string' && fromHex(r.root)?.length === 32) {
        return r;
      }
    }
  } catch {
    // Unreadable: as if nothing was kept (the next verified checkpoint replaces it).
  }
  return null;
}

/** Starts checking: now, and on each record-head or cosignature event. */
export function startRecordCheck(ctx: ConsoleContext): void {
  context = ctx;
  update({ remembered: readRemembered(ctx) });
  ctx.events.on((events) => {
    if (events.some((e) => e.type === 'record-head' || e.type === 'record-cosignature')) {
      void check();
    }
  });
  void check();
}

/** Runs one check now, or once more after the one running. */
export async function check(): Promise<void> {
  if (running) {
    again = true;
    return;
  }
  running = true;
  update({ checking: true });
  try {
    do {
      again = false;
      await checkOnce();
    } while (again && recordState.value.failure === null);
  } finally {
    running = false;
    update({ checking: false });
  }
}

async function checkOnce(): Promise<void> {
  const ctx = context!;
  if (recordState.value.failure !== null) {
    return;
  }
  try {
    const key = recordState.value.key ?? (await loadKey(ctx));
    if (!key) {
      return;
    }
    const checkpoint = parseCheckpoint(await ctx.api.text('/v1/record/checkpoint'));
    const bad = await checkSignature(checkpoint, key);
    if (bad) {
      fail(bad);
      return;
    }
    const previous = recordState.value.head ?? fromRemembered(recordState.value.remembered);
    const consistency = await checkConsistency(ctx, previous, checkpoint);
    if (!consistency) {
      return;
    }
    const head: VerifiedHead = { size: checkpoint.size, root: toHex(checkpoint.root), origin: checkpoint.origin, verifiedAt: ctx.now() };
    localStorage.setItem(storageKey(ctx), JSON.stringify({ key: key.text, size: head.size, root: head.root, verified_at: new Date(head.verifiedAt).toISOString() } satisfies RememberedHead));
    update({ head, consistency, problem: null });
    await readWitnesses(ctx, checkpoint);
  } catch (e) {
    if (e instanceof ApiProblem) {
      // Not tampering: the server or the network failed; the next head tries again.
      update({ problem: `${e.title}${e.detail ? `. ${e.detail}` : ''}` });
    } else if (e instanceof DOMException && e.name === 'NotSupportedError') {
      // Not tampering either: this browser lacks Ed25519 in WebCrypto, so nothing can be verified here.
      update({ problem: 'This browser cannot verify Ed25519 signatures (WebCrypto); use a current Chromium or Firefox.' });
    } else if (e instanceof Error) {
      fail(e.message);
    } else {
      throw e;
    }
  }
}

async function loadKey(ctx: ConsoleContext): Promise<VerifierKey | null> {
  const key = await parseVerifierKey(await ctx.api.text('/v1/record/key'));
  const remembered = recordState.value.remembered;
  if (remembered && remembered.key !== key.text) {
    fail(`The record's signing key changed: this browser verified this server's record under ${remembered.key}, and the server now gives ${key.text}.`);
    return null;
  }
  update({ key });
  return key;
}

function fromRemembered(r: RememberedHead | null): VerifiedHead | null {
  return r ? { size: r.size, root: r.root, origin: '', verifiedAt: Date.parse(r.verified_at) } : null;
}

/** The consistency of the new checkpoint with the last verified one; null (after raising the alarm or showing the problem) when not shown. */
async function checkConsistency(ctx: ConsoleContext, previous: VerifiedHead | null, checkpoint: Checkpoint): Promise<ConsistencyCheck | null> {
  const at = ctx.now();
  if (!previous) {
    return { from: 0, to: checkpoint.size, first: true, at };
  }
  const before = fromHex(previous.root)!;
  if (checkpoint.size < previous.size) {
    fail(`The record shrank: this browser verified a head of ${previous.size} entries, and the server now signs one of ${checkpoint.size}.`);
    return null;
  }
  if (checkpoint.size === previous.size) {
    if (toHex(checkpoint.root) !== previous.root) {
      fail(`The record was rewritten: the head of ${checkpoint.size} entries now has another root hash than the one this browser verified.`);
      return null;
    }
    return recordState.value.consistency ?? { from: previous.size, to: checkpoint.size, first: false, at };
  }
  const proof = await ctx.api.get<{ hashes: string[] }>(`/v1/record/proofs/consistency?from=${previous.size}&to=${checkpoint.size}`);
  const hashes = (proof.hashes ?? []).map(fromHex);
  if (hashes.some((h) => h === null) || !(await verifyConsistency(previous.size, checkpoint.size, before, checkpoint.root, hashes as Uint8Array[]))) {
    fail(`The record's history changed: the head of ${checkpoint.size} entries is not consistent with the head of ${previous.size} entries this browser verified before.`);
    return null;
  }
  return { from: previous.size, to: checkpoint.size, first: false, at };
}

/** The head's cosignatures (GET /v1/record/head), each checked against its line in the checkpoint with the party's registered key. */
async function readWitnesses(ctx: ConsoleContext, checkpoint: Checkpoint): Promise<void> {
  const served = await ctx.api.get<RecordHead>('/v1/record/head');
  if (served.size !== checkpoint.size || served.root_hash !== toHex(checkpoint.root)) {
    return; // A newer head: its own event brings its check.
  }
  const witnesses = new Map(recordState.value.witnesses);
  for (const c of (served.cosignatures ?? []) as { party: string; timestamp: number }[]) {
    const key = ctx.live.parties.get(c.party)?.public_key;
    const publicKey = key ? fromBase64(key) : null;
    const time = publicKey ? await checkCosignature(checkpoint, c.party, publicKey) : null;
    witnesses.set(c.party, { party: c.party, size: served.size, timestamp: c.timestamp, verified: publicKey ? time === c.timestamp : null });
  }
  update({ served, witnesses });
}

/** The verified head once it covers `index` (the next heads are waited for). */
export function whenCovered(index: number): Promise<VerifiedHead> {
  return new Promise((resolve, reject) => {
    const test = (state: RecordState): boolean => {
      if (state.failure !== null) {
        reject(new Error(state.failure));
        return true;
      }
      if (state.head && state.head.size > index) {
        resolve(state.head);
        return true;
      }
      return false;
    };
    if (!test(recordState.value)) {
      const off = recordState.on((state) => {
        if (test(state)) {
          off();
        }
      });
    }
  });
}

/** Raises the alarm for a failed check outside the head's (an entry or an inclusion proof). */
export function raiseAlarm(reason: string): void {
  fail(reason);
}
