// The picture the console shows: every object the caller may see, keyed by id. The live store is
// loaded once from the lists and then kept up to date by the event stream; the timeline builds
// other stores from record entries. Both change only through `apply`, with the reducers each
// feature registers for its event types, so the live picture and a replayed one cannot differ in
// how an event is read.

import type { Alert, Conflict, Declaration, Me, Message, PartyInfo, RecordHead } from './model';

/** Reads one event's payload into the store. `index` is the event's record index (null for record-head). */
export type Reducer = (store: Store, data: unknown, index: number | null, time: string | null) => void;

const reducers = new Map<string, Reducer>();

/** Registers how events of `type` change a store (one reducer per type). */
export function registerReducer(type: string, reducer: Reducer): void {
  reducers.set(type, reducer);
}

export type Topic = 'operations' | 'zones' | 'conflicts' | 'alerts' | 'messages' | 'tracks' | 'parties' | 'head' | 'all';

export class Store {
  readonly operations = new Map<string, Declaration>();
  readonly zones = new Map<string, Declaration>();
  readonly conflicts = new Map<string, Conflict>();
  readonly alerts = new Map<string, Alert>();
  readonly messages = new Map<string, Message>();
  readonly parties = new Map<string, PartyInfo>();
  /** Feature-owned extra state (e.g. own tracks), by feature name. */
  readonly extra = new Map<string, unknown>();
  head: RecordHead | null = null;
  /** The record index of the last event applied, -1 before any. */
  lastIndex = -1;
  /** Whose view this is: the signed-in caller (live) or the caller whose entries were replayed. */
  me: Me;
  /** True for a store rebuilt from the record (the timeline): nothing in it can be acted on. */
  readonly historical: boolean;

  private readonly listeners = new Map<Topic, Set<() => void>>();
  private readonly dirty = new Set<Topic>();
  private scheduled = false;

  constructor(me: Me, historical = false) {
    this.me = me;
    this.historical = historical;
  }

  /** Applies one event; returns false when no reducer knows its type (ignored). */
  apply(type: string, data: unknown, index: number | null, time: string | null = null): boolean {
    const reducer = reducers.get(type);
    if (index !== null && index > this.lastIndex) {
      this.lastIndex = index;
    }
    if (!reducer) {
      return false;
    }
    reducer(this, data, index, time);
    return true;
  }

  /** Marks `topic` changed; listeners run once on the next animation frame. */
  changed(topic: Topic): void {
    this.dirty.add(topic);
    if (!this.scheduled) {
      this.scheduled = true;
      requestAnimationFrame(() => this.flush());
    }
  }

  /** Calls `listener` after any change to `topic` (batched per frame); returns the unsubscribe. */
  on(topic: Topic, listener: () => void): () => void {
    let set = this.listeners.get(topic);
    if (!set) {
      set = new Set();
      this.listeners.set(topic, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  private flush(): void {
    this.scheduled = false;
    const topics = [...this.dirty];
    this.dirty.clear();
    const called = new Set<() => void>();
    for (const topic of [...topics, 'all' as Topic]) {
      for (const listener of this.listeners.get(topic) ?? []) {
        if (!called.has(listener)) {
          called.add(listener);
          listener();
        }
      }
    }
  }

  /** The display name of a party id. */
  partyName(id: string): string {
    return this.parties.get(id)?.name ?? id;
  }
}
