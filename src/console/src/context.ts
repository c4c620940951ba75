// What every view is given: the API, who is signed in, the live store and the one shown (the
// live one, or a store the timeline rebuilt from the record), the selection, the time shown on
// the map, the server's clock, and the console-wide states (connection, record alarm).

import type { Api } from './api';
import type { StreamEvent, StreamStatus } from './events';
import type { Me, Selection } from './model';
import { Signal } from './signal';
import type { Store } from './store';

export interface Notice {
  /** What kind of thing: 'alert', 'conflict', 'message', 'record', 'connection'. */
  kind: string;
  /** The severity, which sets colour and shape: 'warning' | 'loss' | 'new' | 'overdue' | 'info'. */
  level: string;
  text: string;
  /** What selecting the banner selects. */
  selection?: Selection;
}

export interface ConsoleContext {
  readonly api: Api;
  readonly me: Me;
  /** GET /v1/config as served. */
  readonly config: Record<string, unknown>;
  /** The origin of the server (location.origin), the key for what is kept per server. */
  readonly server: string;
  readonly live: Store;
  /** The store the views draw: `live`, or a historical one from the timeline. */
  readonly shown: Signal<Store>;
  readonly selection: Signal<Selection | null>;
  /** The moment the map shows, in ms since the epoch on the server's clock; null: follow now. */
  readonly mapTime: Signal<number | null>;
  /**
   * When set, the next click on an operation, zone, conflict or alert (on the map or in a list)
   * goes here instead of selecting it (the line's compose form picks references this way).
   */
  readonly picker: Signal<((selection: Selection) => void) | null>;
  readonly connection: Signal<StreamStatus>;
  /** Non-null once a record check failed: the reason. The console is then in its alarm state. */
  readonly alarm: Signal<string | null>;
  /** Each batch of events from the stream, after the live store applied it. */
  readonly events: Signal<StreamEvent[]>;
  /** Raised notices (banners; sound when enabled). */
  readonly notices: Signal<Notice | null>;
  /** The server's current time, in ms since the epoch (the local clock corrected by /healthz's time). */
  now(): number;
  /** Selects something (or hands it to the picker when one is waiting). */
  select(selection: Selection | null): void;
  /** Raises a notice (a banner, and a sound when enabled). */
  notify(notice: Notice): void;
}
