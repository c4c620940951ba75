// GET /v1/events read with fetch (EventSource cannot send the Authorization header, and the token
// must not go in the URL). Each event's id is its record index: on any break the stream is opened
// again with Last-Event-ID, so nothing is missed; the server reads events from its store, so this
// holds across a restart of the server too.
//
// A connection can also die without closing (a dropped route, a sleeping laptop): the server sends
// a comment every 15 s, so after 40 s without a byte the connection is abandoned and opened again.
// Failures back off exponentially with jitter (so that the consoles of a whole operations room do
// not all knock at once when a server comes back); a 429 waits as long as Retry-After says; a 401
// means the token expired or was revoked, which ends the stream and the session.

import { ApiProblem, type Api } from './api';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'stopped';

export interface StreamEvent {
  /** The record index; null for record-head, which is not an entry. */
  id: number | null;
  type: string;
  data: unknown;
}

export interface StreamStatus {
  state: ConnectionState;
  /** The last event id received (a record index), or -1 before any. */
  lastEventId: number;
  /** When the last byte (event or keep-alive) arrived, in ms since the epoch. */
  lastHeardAt: number;
  /** Why the last connection ended, if it did. */
  reason: string;
  /** While not connected: since when (ms since the epoch); 0 while connected. */
  downSince?: number;
  /** While waiting to reconnect: when the next attempt is due (ms since the epoch). */
  retryAt?: number;
  /**
   * The last record index the stream is known to have covered. Higher than lastEventId when the
   * entries after it are ones this caller may not see: the server announces a signed head, or
   * sends its keep-alive, only once it has nothing left to send.
   */
  covered?: number;
}

/** Silence after which a connection is taken for dead (the server's keep-alive comes every 15 s). */
export const StallMs = 40_000;
const MaxBackoffMs = 30_000;
const MaxRetryAfterMs = 300_000;

export class EventStream {
  private controller: AbortController | null = null;
  private status: StreamStatus;
  /** The server's `retry:` (the first delay after a clean break); backoff doubles it from there. */
  private retryMs = 2000;
  private failures = 0;
  private stalled = false;
  /** When the pending request was sent (ms since the epoch); 0 once answered. */
  private askedAt = 0;
  private knownHead = 0;
  private wake: (() => void) | null = null;
  private watchdog: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly api: Api,
    private readonly onEvents: (events: StreamEvent[]) => void,
    private readonly onStatus: (status: StreamStatus) => void,
    lastEventId: number,
  ) {
    this.status = { state: 'connecting', lastEventId, lastHeardAt: 0, reason: '', downSince: Date.now(), retryAt: 0, covered: lastEventId };
  }

  get current(): StreamStatus {
    return this.status;
  }

  start(): void {
    // Coming back online ends a backoff wait at once.
    window.addEventListener('online', () => this.wake?.());
    this.watchdog = setInterval(() => this.checkStall(), 5000);
    void this.run();
  }

  stop(): void {
    this.set({ state: 'stopped' });
    this.controller?.abort();
    this.wake?.();
    if (this.watchdog) {
      clearInterval(this.watchdog);
    }
  }

  /**
   * The size of a signed head learnt outside the stream (GET /v1/record/head): the next keep-alive
   * proves the stream has covered it.
   */
  knowHead(size: number): void {
    this.knownHead = Math.max(this.knownHead, size);
  }

  private set(change: Partial<StreamStatus>): void {
    this.status = { ...this.status, ...change };
    this.onStatus(this.status);
  }

  private get stopped(): boolean {
    return this.status.state === 'stopped';
  }

  /**
   * Abandons a connection that has been silent too long, or a request that has had no answer as
   * long (a pooled connection whose route died takes the request and never answers).
   */
  private checkStall(): void {
    const now = Date.now();
    const silent = this.status.state === 'connected' ? now - this.status.lastHeardAt : this.askedAt ? now - this.askedAt : 0;
    if (silent > StallMs) {
      this.stalled = true;
      this.controller?.abort();
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.controller = new AbortController();
      this.stalled = false;
      let wait: number;
      try {
        this.askedAt = Date.now();
        const response = await fetch(`${this.api.base}/v1/events`, {
          headers: this.api.headers({ Accept: 'text/event-stream', 'Last-Event-ID': String(this.status.lastEventId) }),
          cache: 'no-store',
          signal: this.controller.signal,
        });
        this.askedAt = 0;
        if (!response.ok) {
          wait = await this.refused(response);
        } else {
          this.failures = 0;
          this.set({ state: 'connected', lastHeardAt: Date.now(), reason: '', downSince: 0, retryAt: 0 });
          await this.read(response);
          wait = this.backoff();
          this.down('the server closed the stream', wait);
        }
      } catch {
        this.askedAt = 0;
        if (this.stopped) {
          return;
        }
        wait = this.backoff();
        this.down(this.stalled ? `nothing heard for ${StallMs / 1000} s` : 'the server cannot be reached', wait);
      }
      if (this.stopped) {
        return;
      }
      await this.sleep(wait);
    }
  }

  /** A refusal: 401 ends the session, 429 waits for Retry-After, anything else backs off. */
  private async refused(response: Response): Promise<number> {
    let problem: ApiProblem;
    try {
      problem = new ApiProblem(response.status, (await response.json()) as Record<string, unknown>);
    } catch {
      problem = new ApiProblem(response.status, {});
    }
    if (response.status === 401) {
      this.set({ state: 'stopped', reason: 'the token is no longer accepted', downSince: Date.now() });
      this.api.onUnauthorized(problem);
      return 0;
    }
    if (response.status === 429) {
      const wait = retryAfter(response.headers.get('Retry-After')) ?? this.backoff();
      this.down(`the server is busy (${problem.detail || problem.title})`, wait);
      return wait;
    }
    const wait = this.backoff();
    this.down(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title, wait);
    return wait;
  }

  /** The delay before the next attempt: doubling from the server's retry, capped, with full jitter in its upper half. */
  private backoff(): number {
    this.failures++;
    const ceiling = Math.min(MaxBackoffMs, this.retryMs * 2 ** Math.min(this.failures - 1, 10));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private down(reason: string, wait: number): void {
    this.set({ state: 'reconnecting', reason, downSince: this.status.downSince || Date.now(), retryAt: Date.now() + wait });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }

  private async read(response: Response): Promise<void> {
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        return;
      }
      this.status.lastHeardAt = Date.now();
      buffer += value;
      const events: StreamEvent[] = [];
      let caughtUp = false;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith(':')) {
          // The keep-alive: the server had nothing left to send.
          caughtUp = true;
          continue;
        }
        const { id, event } = this.parse(block);
        if (id !== null) {
          // Advanced even when the payload cannot be read, so a bad event is not asked for again forever.
          this.status.lastEventId = Math.max(this.status.lastEventId, id);
        }
        if (event) {
          events.push(event);
          if (event.type === 'record-head' && event.id === null) {
            const size = (event.data as { size?: unknown }).size;
            if (typeof size === 'number') {
              this.knowHead(size);
              caughtUp = true;
            }
          }
        }
      }
      const covered = Math.max(this.status.covered ?? -1, this.status.lastEventId, caughtUp ? this.knownHead - 1 : -1);
      if (events.length > 0 || covered !== this.status.covered) {
        this.status = { ...this.status, covered };
        if (events.length > 0) {
          this.onEvents(events);
        }
        this.onStatus(this.status);
      }
    }
  }

  private parse(block: string): { id: number | null; event: StreamEvent | null } {
    let id: number | null = null;
    let type = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':') || line.length === 0) {
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') {
        const n = Number(value);
        id = value !== '' && Number.isSafeInteger(n) ? n : null;
      } else if (field === 'event') {
        type = value;
      } else if (field === 'data') {
        data.push(value);
      } else if (field === 'retry') {
        this.retryMs = Math.min(Math.max(Number(value) || 2000, 500), MaxBackoffMs);
      }
    }
    if (data.length === 0) {
      return { id, event: null };
    }
    try {
      return { id, event: { id, type, data: JSON.parse(data.join('\n')) } };
    } catch {
      return { id, event: null };
    }
  }
}

/** Retry-After in ms: seconds or an HTTP date; null when absent or unreadable. */
export function retryAfter(header: string | null): number | null {
  if (!header) {
    return null;
  }
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 1000), MaxRetryAfterMs) : null;
}
