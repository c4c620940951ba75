// The record entries the caller may see, read page by page from GET /v1/record/entries and
// decoded (docs/record.md): base64 -> the entry's canonical JSON (UTF-8) -> its payload, which is
// the exact event JSON the parties received on their streams. The server leaves out the bytes of
// entries the caller may not see (a party sees its own and everyone's; the admin sees all), so
// what is built from these is that caller's view and nothing more.

import type { Api } from '../api';

/** One decoded entry. `payload` is the event's data, as the stream carried it. */
export interface RecordEntry {
  index: number;
  /** The commit time, ms since the epoch. */
  at: number;
  time: string;
  type: string;
  actor: string | null;
  /** The parties the event concerns; empty: every party. */
  parties: string[];
  payload: unknown;
}

interface Item {
  index: number;
  leaf_hash: string;
  entry?: string | null;
}

interface Page {
  items: Item[];
  size: number;
}

interface EntryJson {
  actor: string | null;
  index: number;
  parties: string[];
  payload: string;
  salt: string;
  time: string;
  type: string;
}

/** What a load found: the entries decoded, how many leaves carried no bytes for this caller, how many could not be read. */
export interface Loaded {
  entries: RecordEntry[];
  /** The record's size when the last page was read: the next load starts here. */
  size: number;
  hidden: number;
  unreadable: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes one entry's base64 bytes; null when they are not an entry of `index` this console can read. */
export function decodeEntry(index: number, base64: string): RecordEntry | null {
  try {
    const binary = atob(base64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    const entry = JSON.parse(utf8.decode(bytes)) as EntryJson;
    if (entry.index !== index || typeof entry.type !== 'string' || typeof entry.time !== 'string' || typeof entry.payload !== 'string') {
      return null;
    }
    const at = Date.parse(entry.time);
    if (Number.isNaN(at)) {
      return null;
    }
    return {
      index,
      at,
      time: entry.time,
      type: entry.type,
      actor: entry.actor ?? null,
      parties: Array.isArray(entry.parties) ? entry.parties : [],
      payload: JSON.parse(entry.payload) as unknown,
    };
  } catch {
    return null;
  }
}

/**
 * Reads the leaves from `start` to the record's end in pages of `chunk`, calling `progress` after
 * each page with how many leaves are read and the record's size.
 */
export async function loadEntries(api: Api, start: number, progress: (read: number, size: number) => void, chunk = 1000): Promise<Loaded> {
  const loaded: Loaded = { entries: [], size: start, hidden: 0, unreadable: 0 };
  let next = start;
  for (;;) {
    const page = await api.get<Page>(`/v1/record/entries?start=${next}&end=${next + chunk}`);
    for (const item of page.items) {
      if (!item.entry) {
        loaded.hidden++;
        continue;
      }
      const entry = decodeEntry(item.index, item.entry);
      if (entry) {
        loaded.entries.push(entry);
      } else {
        loaded.unreadable++;
      }
    }
    next += page.items.length;
    loaded.size = Math.max(next, start);
    progress(next, page.size);
    if (page.items.length === 0 || next >= page.size) {
      return loaded;
    }
  }
}
