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

/**
 * An alert for a caller who sees everything. Each version of an alert is recorded as one entry per
 * side, in party order, each the alert as that side sees it (its own aircraft named, the other's
 * not): the caller sees both events. As GET /v1/alerts gives it to this caller, the alert keeps the
 * first entry's record index, names both aircraft and calls neither its own.
 */
function alertSeenByAll(store: Store, alert: Alert, index: number | null): boolean {
  const held = store.alerts.get(alert.id);
  if (held && held.version > alert.version) {
    return false;
  }
  const same = held && held.version === alert.version ? held : undefined;
  const aircraft = (side: Alert['a'], known: Alert['a'] | undefined): Alert['a'] => ({
    ...side,
    own: false,
    track_id: side.track_id ?? known?.track_id ?? null,
    callsign: side.callsign ?? known?.callsign ?? null,
  });
  store.alerts.set(alert.id, {
    ...alert,
    a: aircraft(alert.a, same?.a),
    b: aircraft(alert.b, same?.b),
    record_index: same?.record_index ?? alert.record_index ?? index,
  });
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
    const alert = (data as { alert?: Alert }).alert;
    if (store.me.sees_everything && alert && typeof alert.id === 'string') {
      if (alertSeenByAll(store, alert, index)) {
        store.changed('alerts');
      }
    } else if (upsert(store.alerts, alert, index)) {
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
