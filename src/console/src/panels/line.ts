// The deconfliction line: inbox and sent, each message's acknowledgement clock counting down
// locally from the server's time, its escalation level and receipts per party; compose; an
// overdue message marked. Draws `ctx.shown` (a historical store: read only).

import type { ConsoleContext } from '../context';
import { h, replace, utc } from '../dom';
import '../line/line.css';
import { ComposeForm } from '../line/compose';
import { MessageList, type Box } from '../line/messages';
import type { Store } from '../store';
import { showTab } from '../shell';

interface OverdueNotice {
  message_id?: string;
  from?: string;
  recipient?: string;
  subject?: string;
  escalation_level?: number;
}

export function mountLine(ctx: ConsoleContext): void {
  const panel = document.getElementById('panel-line')!;
  const count = document.querySelector<HTMLElement>('[data-count="line"]');
  const party = ctx.me.party;
  const mayCompose = party !== null && ctx.me.may_write;

  const lists = new Map<Box, MessageList>();
  if (party === null) {
    lists.set('all', new MessageList(ctx, 'all', 'All messages'));
  } else {
    lists.set('inbox', new MessageList(ctx, 'inbox', 'Inbox'));
    lists.set('sent', new MessageList(ctx, 'sent', 'Sent'));
  }
  let showing: Box = party === null ? 'all' : 'inbox';

  const boxButtons = new Map<Box, HTMLButtonElement>();
  const boxCounts = new Map<Box, HTMLElement>();
  for (const box of lists.keys()) {
    const label = box === 'inbox' ? 'Inbox' : box === 'sent' ? 'Sent' : 'All messages';
    const badge = h('span', { class: 'count' });
    boxCounts.set(box, badge);
    boxButtons.set(box, h('button', { type: 'button', id: `line-show-${box}`, 'aria-pressed': String(box === showing), onclick: () => show(box) }, label, ' ', badge));
  }

  const compose = mayCompose ? new ComposeForm(ctx) : null;
  const composeToggle = compose ? h('button', { type: 'button', id: 'line-compose-toggle', 'aria-expanded': 'false', 'aria-controls': 'line-compose' }, 'New message') : null;
  const composeSection = compose ? h('section', { class: 'compose-section', 'aria-label': 'Compose', hidden: true }, compose.element) : null;
  const historical = h('p', { class: 'line-historical', hidden: true });

  replace(
    panel,
    h('div', { class: 'line-bar', role: 'group', 'aria-label': 'Line boxes' }, [...boxButtons.values()], composeToggle),
    historical,
    composeSection,
    [...lists.values()].map((list) => list.element),
  );

  function show(box: Box): void {
    showing = box;
    for (const [b, list] of lists) {
      list.element.hidden = b !== box;
      boxButtons.get(b)!.setAttribute('aria-pressed', String(b === box));
    }
  }
  show(showing);

  function setComposing(open: boolean): void {
    if (!composeSection || !composeToggle || !compose) {
      return;
    }
    composeSection.hidden = !open;
    composeToggle.setAttribute('aria-expanded', String(open));
    composeToggle.textContent = open ? 'Close the new message' : 'New message';
    if (open) {
      compose.element.querySelector<HTMLElement>('select, input, textarea')?.focus();
    } else {
      compose.stopPicking();
    }
  }
  composeToggle?.addEventListener('click', () => setComposing(composeSection!.hidden));

  // Draw whichever store is shown, and follow its changes.
  let unsubscribe: (() => void) | null = null;
  const draw = () => {
    const store = ctx.shown.value;
    for (const list of lists.values()) {
      list.render(store);
    }
    drawCounts(store);
    const past = store.historical;
    historical.hidden = !past;
    historical.textContent = past ? `The line as it stood at event ${store.lastIndex}${store.head ? ` (${utc(store.head.timestamp)})` : ''}: read only.` : '';
    if (composeToggle) {
      composeToggle.hidden = past;
      if (past) {
        setComposing(false);
      }
    }
  };
  const follow = (store: Store) => {
    unsubscribe?.();
    const offs = [store.on('messages', draw), store.on('parties', () => {
      compose?.drawRecipients();
      draw();
    })];
    unsubscribe = () => offs.forEach((off) => off());
    draw();
  };
  ctx.shown.on(follow);
  follow(ctx.shown.value);

  /** The tab's count: inbox messages still waiting for my acknowledgement. */
  function drawCounts(store: Store): void {
    const me = store.me.party;
    const waiting = me === null ? 0 : [...store.messages.values()].filter((m) => m.requires_ack && m.receipts[me] && !m.receipts[me].acknowledged_at).length;
    if (count) {
      count.textContent = waiting > 0 ? String(waiting) : '';
      count.title = waiting > 0 ? `${waiting} to acknowledge` : '';
    }
    const inbox = boxCounts.get('inbox');
    if (inbox) {
      inbox.textContent = waiting > 0 ? String(waiting) : '';
    }
  }

  setInterval(() => {
    for (const list of lists.values()) {
      list.tick();
    }
  }, 1000);

  // An overdue message I sent or must acknowledge is marked here; its banner is the notices
  // module's (one per message, raised once per escalation level).
  ctx.events.on((events) => {
    for (const event of events) {
      if (event.type !== 'line-overdue') {
        continue;
      }
      const notice = event.data as OverdueNotice;
      const id = notice.message_id;
      if (!id || party === null || (notice.from !== party && notice.recipient !== party)) {
        continue;
      }
      for (const list of lists.values()) {
        list.markEscalated(id);
      }
    }
  });

  // A message selected anywhere (a banner, the timeline, the details) opens in its box.
  ctx.selection.on((selection) => {
    if (selection?.kind !== 'message') {
      return;
    }
    const message = ctx.shown.value.messages.get(selection.id);
    if (!message) {
      return;
    }
    const box: Box = party === null ? 'all' : message.from === party ? 'sent' : 'inbox';
    if (box !== showing) {
      show(box);
    }
    // From a banner or the details: show the line. Not from the timeline, whose own view stays.
    if (panel.hidden && document.getElementById('panel-timeline')?.hidden !== false) {
      showTab('tab-line');
    }
    lists.get(box)?.reveal(selection.id);
  });
}
