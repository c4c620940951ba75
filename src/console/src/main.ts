// Start-up: sign in, learn who the token speaks for, load the picture, follow the event stream,
// and mount the views. Each view is a module with `mount(ctx)`; none reaches into another.

import 'leaflet/dist/leaflet.css';
import './styles.css';
import { Api, ApiProblem } from './api';
import type { ConsoleContext, Notice } from './context';
import { h, replace } from './dom';
import { EventStream, type StreamEvent, type StreamStatus } from './events';
import type { Alert, Conflict, Declaration, Me, Message, PartyInfo, RecordHead, Selection } from './model';
import { registerReducers } from './reducers';
import { keepToken, signOut, storedToken, takeNotice, takeTokenFromFragment } from './session';
import { Signal } from './signal';
import { Store } from './store';
import { mountMap } from './map/map';
import { mountTracks } from './map/tracks';
import { mountConflicts } from './panels/conflicts';
import { mountAlerts } from './panels/alerts';
import { mountLine } from './panels/line';
import { mountRecord } from './panels/record';
import { mountTimeline } from './panels/timeline';
import { mountDetails } from './panels/details';
import { mountNotices } from './notices';
import { mountShell } from './shell';

registerReducers();
takeTokenFromFragment();
void boot();

async function boot(): Promise<void> {
  const token = storedToken();
  if (!token) {
    showSignIn(takeNotice());
    return;
  }
  const api = new Api(token);
  let me: Me;
  try {
    me = await api.get<Me>('/v1/me');
  } catch (e) {
    if (e instanceof ApiProblem && e.status === 401) {
      signOut('The token was refused: it is wrong, expired or revoked. Sign in with a valid one.');
    } else {
      showSignIn(e instanceof ApiProblem ? `${e.title}. ${e.detail}` : 'The server cannot be reached.');
    }
    return;
  }
  api.onUnauthorized = () => signOut('Your token is no longer accepted (expired or revoked). Sign in again.');

  const asked = Date.now();
  const [config, health, parties] = await Promise.all([
    api.get<Record<string, unknown>>('/v1/config'),
    fetch('/healthz', { cache: 'no-store' }).then(async (r) => ({ ...((await r.json()) as { time: string; last_event?: number }), received: Date.now() })),
    api.all<PartyInfo>('/v1/parties'),
  ]);
  // The server read its clock between the ask and the answer: taking the midpoint errs by at most
  // half the round trip (taking the answer's arrival put countdowns a round trip too long).
  const offset = new Date(health.time).getTime() - (asked + health.received) / 2;
  // Events after this index are read from the stream; the lists below may already hold some of
  // them, which the reducers skip by version.
  const resumeAfter = (health.last_event ?? 0) - 1;

  const live = new Store(me);
  for (const party of parties) {
    live.parties.set(party.id, party);
  }
  await load(api, live, me);

  const ctx: ConsoleContext = {
    api,
    me,
    config,
    server: location.origin,
    live,
    shown: new Signal(live),
    selection: new Signal<Selection | null>(null),
    mapTime: new Signal<number | null>(null),
    picker: new Signal<((selection: Selection) => void) | null>(null),
    connection: new Signal<StreamStatus>({ state: 'connecting', lastEventId: resumeAfter, lastHeardAt: 0, reason: '', downSince: Date.now(), covered: resumeAfter }),
    alarm: new Signal<string | null>(null),
    notices: new Signal<Notice | null>(null),
    events: new Signal<StreamEvent[]>([]),
    now: () => Date.now() + offset,
    select(selection) {
      const pick = this.picker.value;
      if (pick && selection && selection.kind !== 'message' && selection.kind !== 'track') {
        pick(selection);
        return;
      }
      this.selection.set(selection);
    },
    notify(notice) {
      this.notices.set(notice);
    },
  };

  document.getElementById('sign-in')!.hidden = true;
  document.getElementById('console')!.hidden = false;
  mountShell(ctx);
  mountNotices(ctx);
  mountMap(ctx);
  mountTracks(ctx);
  mountConflicts(ctx);
  mountAlerts(ctx);
  mountLine(ctx);
  mountRecord(ctx);
  mountTimeline(ctx);
  mountDetails(ctx);

  // Record indexes of the events applied, newest last (a bounded window): read by the browser tests
  // to prove that no event was missed across a reconnect or a restart of the server.
  const applied: number[] = [];
  (window as unknown as { __deconflictLive: object }).__deconflictLive = { applied, operations: () => [...live.operations.keys()] };
  let wasConnected = false;
  const stream = new EventStream(
    api,
    (events) => {
      for (const event of events) {
        live.apply(event.type, event.data, event.id);
        if (event.id !== null) {
          applied.push(event.id);
        }
      }
      if (applied.length > 10_000) {
        applied.splice(0, applied.length - 5_000);
      }
      ctx.events.set(events);
    },
    (status) => {
      const reconnected = status.state === 'connected' && ctx.connection.value.state !== 'connected' && wasConnected;
      wasConnected ||= status.state === 'connected';
      ctx.connection.set(status);
      if (reconnected) {
        void refreshHead(api, live, ctx, stream);
      }
    },
    resumeAfter,
  );
  if (live.head) {
    stream.knowHead(live.head.size);
  }
  stream.start();
  document.body.dataset.ready = 'true';
}

/**
 * After a reconnect: heads signed while the console was away are announced by the stream only when
 * the next one is signed, so the latest is read once here and given to the views as the stream
 * would have (a record-head event without an id).
 */
async function refreshHead(api: Api, live: Store, ctx: ConsoleContext, stream: EventStream): Promise<void> {
  try {
    const head = await api.get<RecordHead>('/v1/record/head');
    stream.knowHead(head.size);
    if (head.size !== live.head?.size || head.root_hash !== live.head?.root_hash) {
      live.apply('record-head', head, null);
      ctx.events.set([{ id: null, type: 'record-head', data: head }]);
    }
  } catch {
    // The stream announces the next head anyway.
  }
}

/** The picture as it stands: every list the caller may read. */
async function load(api: Api, store: Store, me: Me): Promise<void> {
  const [operations, zones, conflicts, alerts, inbox, sent, head] = await Promise.all([
    api.all<Declaration>('/v1/operations'),
    api.all<Declaration>('/v1/zones'),
    api.all<Conflict>('/v1/conflicts'),
    api.all<Alert>('/v1/alerts'),
    me.party ? api.all<Message>('/v1/line/messages?box=inbox') : api.all<Message>('/v1/line/messages'),
    me.party ? api.all<Message>('/v1/line/messages?box=sent') : Promise.resolve([] as Message[]),
    // No head before the first one is signed (404): the stream announces it.
    api.get<RecordHead>('/v1/record/head').catch((e: unknown) => {
      if (e instanceof ApiProblem && e.status === 404) {
        return null;
      }
      throw e;
    }),
  ]);
  for (const o of operations) store.operations.set(o.id, o);
  for (const z of zones) store.zones.set(z.id, z);
  for (const c of conflicts) store.conflicts.set(c.id, c);
  for (const a of alerts) store.alerts.set(a.id, a);
  for (const m of [...inbox, ...sent]) store.messages.set(m.id, m);
  store.head = head;
  for (const topic of ['operations', 'zones', 'conflicts', 'alerts', 'messages', 'head'] as const) {
    store.changed(topic);
  }
}

function showSignIn(notice: string | null): void {
  document.getElementById('console')!.hidden = true;
  const page = document.getElementById('sign-in')!;
  page.hidden = false;
  const problem = document.getElementById('sign-in-problem')!;
  if (notice) {
    replace(problem, h('strong', {}, notice));
    problem.hidden = false;
  }
  const form = document.getElementById('sign-in-form') as HTMLFormElement;
  const input = document.getElementById('token') as HTMLInputElement;
  input.focus();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = input.value.trim();
    if (value) {
      keepToken(value);
      location.reload();
    }
  });
}
