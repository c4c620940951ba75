// Each party's knowledge of a conflict, alert, line message, operation or zone at a moment T: when
// the object was sent to it (an entry concerning that party, or every party), when it received and
// read it (a line message's receipts), and when it acknowledged or accepted it, by whom. Read from
// the historical store at T (the object as it then stood) and from the entries about the object,
// so nothing after T shows.

import type { Alert, Conflict, Declaration, Message, Selection } from '../model';
import type { Store } from '../store';
import type { RecordEntry } from './entries';

export type KnownKind = 'conflict' | 'alert' | 'message' | 'operation' | 'zone';

/** One thing a party knew, and when. */
export interface Fact {
  /** 'sent', 'updated', 'received', 'read', 'acknowledged', 'accepted', 'wrote', 'escalated', 'not acknowledged'. */
  what: string;
  /** When (RFC 3339); absent for a fact that states something has not happened by T. */
  at?: string;
  by?: string;
  note?: string;
}

export interface PartyKnowledge {
  /** The party id, or null for "every party" (an entry that concerns everyone). */
  party: string | null;
  facts: Fact[];
}

export interface ObjectKnowledge {
  selection: Selection & { kind: KnownKind };
  /** The object's state at T in a word ('open', 'resolved', 'warning', 'acknowledged', ...). */
  state: string;
  /** The time of the last entry about it at or before T. */
  changedAt: number;
  parties: PartyKnowledge[];
}

const typeKind: Record<string, KnownKind> = {
  conflict: 'conflict',
  'track-alert': 'alert',
  'line-message': 'message',
  'line-receipt': 'message',
  'line-overdue': 'message',
  operation: 'operation',
  zone: 'zone',
};

const payloadKey: Record<KnownKind, string> = { conflict: 'conflict', alert: 'alert', message: 'message', operation: 'operation', zone: 'zone' };

/** The entries about each object, by "kind:id", in index order. */
export class KnowledgeIndex {
  private readonly byObject = new Map<string, RecordEntry[]>();

  add(entries: readonly RecordEntry[]): void {
    for (const entry of entries) {
      const kind = typeKind[entry.type];
      if (!kind) {
        continue;
      }
      const item = (entry.payload as Record<string, { id?: unknown } | undefined> | null)?.[payloadKey[kind]];
      if (!item || typeof item.id !== 'string') {
        continue;
      }
      const key = `${kind}:${item.id}`;
      let list = this.byObject.get(key);
      if (!list) {
        list = [];
        this.byObject.set(key, list);
      }
      list.push(entry);
    }
  }

  /** The objects (conflicts, alerts, messages) changed last at or before `at`, most recent first. */
  recent(at: number, count: number): Selection[] {
    const found: { selection: Selection; at: number }[] = [];
    for (const [key, entries] of this.byObject) {
      const [kind, id] = split(key);
      if (kind === 'operation' || kind === 'zone') {
        continue;
      }
      let last = Number.NEGATIVE_INFINITY;
      for (const entry of entries) {
        if (entry.at <= at && entry.at > last) {
          last = entry.at;
        }
      }
      if (last > Number.NEGATIVE_INFINITY) {
        found.push({ selection: { kind, id }, at: last });
      }
    }
    found.sort((a, b) => b.at - a.at);
    return found.slice(0, count).map((f) => f.selection);
  }

  /** What each party knew of `selection` at `at`, with `store` the picture at that moment; null when it did not exist yet. */
  knowledge(selection: Selection, store: Store, at: number): ObjectKnowledge | null {
    if (!isKnown(selection.kind)) {
      return null;
    }
    const kind = selection.kind;
    const entries = (this.byObject.get(`${kind}:${selection.id}`) ?? []).filter((e) => e.at <= at);
    const object = objectIn(store, kind, selection.id);
    if (!object || entries.length === 0) {
      return null;
    }
    let changedAt = Number.NEGATIVE_INFINITY;
    for (const entry of entries) {
      changedAt = Math.max(changedAt, entry.at);
    }
    const sel = { kind, id: selection.id };
    const sent = (party: string | null) => entries.filter((e) => e.parties.length === 0 || (party !== null && e.parties.includes(party)));
    const sentFacts = (party: string | null, withUpdate = true): Fact[] => {
      const to = sent(party);
      if (to.length === 0) {
        return [];
      }
      const facts: Fact[] = [{ what: 'sent', at: to[0].time }];
      if (withUpdate && to.length > 1) {
        facts.push({ what: 'updated', at: to[to.length - 1].time });
      }
      return facts;
    };

    switch (kind) {
      case 'conflict': {
        const c = object as Conflict;
        const parties = unique([c.a.party, c.b.party]).map((party) => ({
          party,
          facts: [...sentFacts(party), ...ackFacts(c.acknowledged_by?.[party], 'acknowledged', c.state !== 'resolved'), ...ackFacts(c.accepted_by?.[party], 'accepted', false)],
        }));
        return { selection: sel, state: c.state, changedAt, parties };
      }
      case 'alert': {
        const a = object as Alert;
        const parties = unique([a.a.party, a.b.party]).map((party) => ({
          party,
          facts: [...sentFacts(party), ...ackFacts(a.acknowledged_by?.[party], 'acknowledged', a.state === 'active')],
        }));
        return { selection: sel, state: a.state === 'cleared' ? 'cleared' : a.level, changedAt, parties };
      }
      case 'message': {
        const m = object as Message;
        const parties: PartyKnowledge[] = [{ party: m.from, facts: [{ what: 'wrote', at: m.sent_at }] }];
        for (const party of unique(m.to)) {
          const receipt = m.receipts?.[party];
          // A message's later entries are its receipts, listed below as what they say.
          const facts = sentFacts(party, false);
          if (receipt?.delivered_at) facts.push({ what: 'received', at: receipt.delivered_at });
          if (receipt?.read_at) facts.push({ what: 'read', at: receipt.read_at });
          if (receipt?.acknowledged_at) {
            facts.push({ what: 'acknowledged', at: receipt.acknowledged_at, by: receipt.acknowledged_by ?? undefined, note: receipt.note ?? undefined });
          } else if (m.requires_ack) {
            facts.push({ what: 'not acknowledged' });
          }
          if (receipt && receipt.escalation_level > 0) {
            facts.push({ what: `escalated to level ${receipt.escalation_level}` });
          }
          parties.push({ party, facts });
        }
        return { selection: sel, state: m.kind, changedAt, parties };
      }
      default: {
        const d = object as Declaration;
        const everyone = entries.some((e) => e.parties.length === 0);
        const named = unique([d.party, ...entries.flatMap((e) => e.parties)]);
        const parties: PartyKnowledge[] = everyone ? [{ party: null, facts: sentFacts(null) }] : named.map((party) => ({ party, facts: sentFacts(party) }));
        return { selection: sel, state: d.state, changedAt, parties };
      }
    }
  }
}

function ackFacts(at: string | undefined, what: string, sayWhenMissing: boolean): Fact[] {
  return at ? [{ what, at }] : sayWhenMissing ? [{ what: `not ${what}` }] : [];
}

function objectIn(store: Store, kind: KnownKind, id: string): unknown {
  switch (kind) {
    case 'conflict':
      return store.conflicts.get(id);
    case 'alert':
      return store.alerts.get(id);
    case 'message':
      return store.messages.get(id);
    case 'operation':
      return store.operations.get(id);
    case 'zone':
      return store.zones.get(id);
  }
}

function isKnown(kind: string): kind is KnownKind {
  return kind in payloadKey;
}

function split(key: string): [KnownKind, string] {
  const at = key.indexOf(':');
  return [key.slice(0, at) as KnownKind, key.slice(at + 1)];
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter((v) => typeof v === 'string' && v))];
}
