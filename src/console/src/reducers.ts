// How each event type changes a store. Every payload carries the whole object at its new version
// (`{action, operation|zone|conflict|alert|message: ...}`), so an event replaces the object unless
// the store already holds a later version (the lists and the stream overlap at start-up).

import type { Alert, Conflict, Declaration, Message, PartyInfo, RecordHead } from './model';
import { registerReducer, type Store } from './store';

interface Versioned {
  id: string;
  version: number;
  record_index?: number | null;
}

export function upsert<T extends Versioned>(map: Map<string, T>, item: T | undefined, index: number | null): boolean {
  if (!item || typeof item.id !== 'string') {
    return false;
  }
  const held = map.get(item.id);
  if (held && held.version > item.version) {
    return false;
  }
  map.set(item.id, index !== null && item.record_index == null ? { ...item, record_index: index } : item);
  return true;
}

function declaration(key: 'operation' | 'zone', topic: 'operations' | 'zones') {
  return (store: Store, data: unknown, index: number | null) => {
    const item = (data as Record<string, Declaration | undefined>)[key];
    if (upsert(store[topic], item, index)) {
      store.changed(topic);
    }
  };
}

export function registerReducers(): void {
  registerReducer('operation', declaration('operation', 'operations'));
  registerReducer('zone', declaration('zone', 'zones'));
  registerReducer('conflict', (store, data, index) => {
    if (upsert(store.conflicts, (data as { conflict?: Conflict }).conflict, index)) {
      store.changed('conflicts');
    }
  });
  registerReducer('track-alert', (store, data, index) => {
    if (upsert(store.alerts, (data as { alert?: Alert }).alert, index)) {
      store.changed('alerts');
    }
  });
  const line = (store: Store, data: unknown, index: number | null) => {
    if (upsert(store.messages, (data as { message?: Message }).message, index)) {
      store.changed('messages');
    }
  };
  registerReducer('line-message', line);
  registerReducer('line-receipt', line);
  registerReducer('line-overdue', line);
  registerReducer('party', (store, data) => {
    const party = (data as { party?: PartyInfo | string }).party;
    if (party && typeof party === 'object' && typeof party.id === 'string') {
      store.parties.set(party.id, { ...store.parties.get(party.id), ...party });
      store.changed('parties');
    }
  });
  registerReducer('record-head', (store, data) => {
    store.head = data as RecordHead;
    store.changed('head');
  });
}
