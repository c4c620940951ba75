// The picture as it stood at a moment T: a historical Store that has applied, in index order,
// every entry with time <= T, through the same reducers as the live console. Moving forward
// applies only the entries in between (so replay stays smooth); moving back starts again from an
// empty store, which is cheap next to reading the record.

import type { Me, PartyInfo } from '../model';
import { Store } from '../store';
import type { RecordEntry } from './entries';

export class History {
  private entries: RecordEntry[] = [];
  /** True while entry times never decrease in index order: then "time <= T" is a prefix. */
  private ordered = true;
  private store: Store | null = null;
  /** How many entries (a prefix, when ordered) the store has applied. */
  private applied = 0;
  private at = Number.NEGATIVE_INFINITY;
  private earliest = Number.POSITIVE_INFINITY;
  private latest = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly me: Me,
    private readonly parties: () => Iterable<PartyInfo>,
  ) {}

  /** Adds entries read later (indexes after every one held). */
  add(more: RecordEntry[]): void {
    for (const entry of more) {
      const last = this.entries[this.entries.length - 1];
      if (last && entry.at < last.at) {
        this.ordered = false;
      }
      this.entries.push(entry);
      this.earliest = Math.min(this.earliest, entry.at);
      this.latest = Math.max(this.latest, entry.at);
    }
  }

  get all(): readonly RecordEntry[] {
    return this.entries;
  }

  /** The earliest entry time, or null before any entry. */
  get first(): number | null {
    return this.entries.length ? this.earliest : null;
  }

  /** The latest entry time, or null before any entry. */
  get last(): number | null {
    return this.entries.length ? this.latest : null;
  }

  /** The entry times, ascending and distinct (the moments the step buttons go to). */
  moments(): number[] {
    const times = this.entries.map((e) => e.at);
    if (!this.ordered) {
      times.sort((a, b) => a - b);
    }
    return times.filter((t, i) => i === 0 || t !== times[i - 1]);
  }

  /** How many entries the store at T holds. */
  count(at: number): number {
    if (!this.ordered) {
      return this.entries.filter((e) => e.at <= at).length;
    }
    return upperBound(this.entries, at);
  }

  /**
   * The store at `at`: the same object, brought forward, when `at` is not before the last
   * moment built (and entries are in time order); otherwise a new one built from the start.
   */
  storeAt(at: number): Store {
    if (!this.store || at < this.at || !this.ordered) {
      this.store = this.fresh();
      this.applied = 0;
      if (!this.ordered) {
        for (const entry of this.entries) {
          if (entry.at <= at) {
            this.store.apply(entry.type, entry.payload, entry.index, entry.time);
          }
        }
        this.at = at;
        return this.store;
      }
    }
    const end = upperBound(this.entries, at);
    for (let i = this.applied; i < end; i++) {
      const entry = this.entries[i];
      this.store.apply(entry.type, entry.payload, entry.index, entry.time);
    }
    this.applied = Math.max(this.applied, end);
    this.at = at;
    return this.store;
  }

  /** Forgets the built store (back to live): the next moment starts from an empty one. */
  reset(): void {
    this.store = null;
    this.applied = 0;
    this.at = Number.NEGATIVE_INFINITY;
  }

  private fresh(): Store {
    const store = new Store(this.me, true);
    for (const party of this.parties()) {
      store.parties.set(party.id, party);
    }
    return store;
  }
}

/** The number of entries with time <= at (entries in time order). */
function upperBound(entries: readonly RecordEntry[], at: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid].at <= at) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}
