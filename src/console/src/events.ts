// GET /v1/events read with fetch (EventSource cannot send the Authorization header, and the token
// must not go in the URL). Each event's id is its record index: on any break the stream is opened
// again with Last-Event-ID, so nothing is missed; the server reads events from its store.

import type { Api } from './api';

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
}

export class EventStream {
  private controller: AbortController | null = null;
  private status: StreamStatus;
  private retryMs = 2000;

  constructor(
    private readonly api: Api,
    private readonly onEvents: (events: StreamEvent[]) => void,
    private readonly onStatus: (status: StreamStatus) => void,
    lastEventId: number,
  ) {
    this.status = { state: 'connecting', lastEventId, lastHeardAt: 0, reason: '' };
  }

  get current(): StreamStatus {
    return this.status;
  }

  start(): void {
    void this.run();
  }

  stop(): void {
    this.controller?.abort();
    this.set({ state: 'stopped' });
  }

  private set(change: Partial<StreamStatus>): void {
    this.status = { ...this.status, ...change };
    this.onStatus(this.status);
  }

  private get stopped(): boolean {
    return this.status.state === 'stopped';
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.controller = new AbortController();
      try {
        const response = await this.api.request('GET', '/v1/events', undefined, { Accept: 'text/event-stream', 'Last-Event-ID': String(this.status.lastEventId) }, this.controller.signal);
        this.set({ state: 'connected', lastHeardAt: Date.now(), reason: '' });
        await this.read(response);
        if (!this.stopped) {
          this.set({ state: 'reconnecting', reason: 'the server closed the stream' });
        }
      } catch (e) {
        if (this.stopped) {
          return;
        }
        const problem = e as { status?: number; message?: string };
        if (problem.status === 401) {
          this.set({ state: 'stopped', reason: 'the token is no longer valid' });
          return;
        }
        this.set({ state: 'reconnecting', reason: problem.message ?? 'the connection broke' });
      }
      await new Promise((resolve) => setTimeout(resolve, this.retryMs));
    }
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
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = this.parse(block);
        if (event) {
          events.push(event);
        }
      }
      if (events.length > 0) {
        const last = events.findLast((e) => e.id !== null);
        if (last) {
          this.status.lastEventId = last.id!;
        }
        this.onEvents(events);
        this.onStatus(this.status);
      }
    }
  }

  private parse(block: string): StreamEvent | null {
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
        id = Number(value);
      } else if (field === 'event') {
        type = value;
      } else if (field === 'data') {
        data.push(value);
      } else if (field === 'retry') {
        this.retryMs = Math.min(Math.max(Number(value) || 2000, 500), 30_000);
      }
    }
    if (data.length === 0) {
      return null;
    }
    try {
      return { id, type, data: JSON.parse(data.join('\n')) };
    } catch {
      return null;
    }
  }
}
