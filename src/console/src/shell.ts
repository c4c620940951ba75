// The frame around the views: who is signed in, the connection, the tabs (arrow keys move
// between them, as the WAI-ARIA tabs pattern has it), the theme, sign-out and the alarm state.

import type { ConsoleContext } from './context';
import { duration } from './dom';
import type { StreamStatus } from './events';
import { signOut } from './session';

const ThemeKey = 'deconflict.theme';

export function mountShell(ctx: ConsoleContext): void {
  const who = document.getElementById('who')!;
  who.textContent = ctx.me.party ? `${ctx.me.name} (${ctx.me.party})${ctx.me.may_write ? '' : ', read-only'}` : 'admin, read-only view of everything';

  // Hidden on the sign-in page, where they would do nothing yet.
  document.querySelector<HTMLElement>('.bar-actions')!.hidden = false;
  document.getElementById('sign-out')!.addEventListener('click', () => signOut());

  const theme = document.getElementById('theme') as HTMLButtonElement;
  const applyTheme = (name: string) => {
    document.documentElement.dataset.theme = name;
    theme.textContent = name === 'dark' ? 'Light theme' : 'Dark theme';
    localStorage.setItem(ThemeKey, name);
  };
  applyTheme(localStorage.getItem(ThemeKey) === 'light' ? 'light' : 'dark');
  theme.addEventListener('click', () => applyTheme(document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark'));

  mountTabs();
  mountConnection(ctx);

  const alarm = document.getElementById('alarm')!;
  ctx.alarm.on((reason) => {
    document.body.classList.toggle('alarm', reason !== null);
    alarm.hidden = reason === null;
    alarm.textContent = reason === null ? '' : `RECORD CHECK FAILED: ${reason} What this console shows cannot be trusted. Tell the other parties over an independent channel.`;
  });
}

function mountTabs(): void {
  const tabs = [...document.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
  const show = (tab: HTMLButtonElement, focus: boolean) => {
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute('aria-selected', String(selected));
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.getAttribute('aria-controls')!)!.hidden = !selected;
    }
    if (focus) {
      tab.focus();
    }
    document.dispatchEvent(new CustomEvent('tab-shown', { detail: tab.id }));
  };
  for (const tab of tabs) {
    tab.addEventListener('click', () => show(tab, false));
    tab.addEventListener('keydown', (e) => {
      const at = tabs.indexOf(tab);
      const next = e.key === 'ArrowRight' ? tabs[(at + 1) % tabs.length] : e.key === 'ArrowLeft' ? tabs[(at + tabs.length - 1) % tabs.length] : e.key === 'Home' ? tabs[0] : e.key === 'End' ? tabs[tabs.length - 1] : null;
      if (next) {
        e.preventDefault();
        show(next, true);
      }
    });
  }
  // Alt+1..5 jump to a tab from anywhere.
  document.addEventListener('keydown', (e) => {
    if (e.altKey && e.key >= '1' && e.key <= String(tabs.length)) {
      e.preventDefault();
      show(tabs[Number(e.key) - 1], true);
    }
  });
}

/** Shows a tab by id ('tab-line', ...) from another view. */
export function showTab(id: string): void {
  document.getElementById(id)?.click();
}

function mountConnection(ctx: ConsoleContext): void {
  const element = document.getElementById('connection')!;
  const word = document.getElementById('connection-state')!;
  const detail = document.getElementById('connection-detail')!;
  const render = () => {
    const status = ctx.connection.value;
    const now = Date.now();
    const state = connectionText(status, ctx.live.head?.size ?? null, now);
    element.dataset.state = status.state;
    // Only the state is announced (a live region); the figures below it change every second.
    if (word.textContent !== state.word) {
      word.textContent = state.word;
    }
    detail.textContent = state.detail;
    element.title = status.reason && status.state !== 'connected' ? `Last break: ${status.reason}` : 'The event stream (GET /v1/events)';
  };
  ctx.connection.on(render);
  ctx.live.on('head', render);
  setInterval(render, 1000);
  render();
}

/**
 * The connection as the bar shows it: a word with a shape (never colour alone) and how far behind.
 * Behind: the entries of the last signed head the console knows that the stream has not covered
 * yet; and the silence since the last byte, shown once it is longer than the server's keep-alive.
 */
export function connectionText(status: StreamStatus, headSize: number | null, now: number): { word: string; detail: string } {
  const since = (at: number | undefined) => duration(Math.max(0, (now - (at ?? now)) / 1000));
  switch (status.state) {
    case 'connected': {
      const behind = headSize === null ? 0 : Math.max(0, headSize - 1 - Math.max(status.covered ?? -1, status.lastEventId));
      const parts = [behind > 0 ? `${behind} ${behind === 1 ? 'entry' : 'entries'} behind the signed head` : 'up to date'];
      const silence = status.lastHeardAt ? (now - status.lastHeardAt) / 1000 : 0;
      if (silence >= 20) {
        parts.push(`nothing heard for ${duration(silence)}`);
      }
      return { word: '● Live', detail: parts.join(', ') };
    }
    case 'connecting':
      return { word: '○ Connecting', detail: '' };
    case 'reconnecting': {
      const wait = status.retryAt && status.retryAt > now ? `, next try in ${duration((status.retryAt - now) / 1000)}` : ', trying now';
      return { word: '▲ Reconnecting', detail: `for ${since(status.downSince)}: ${status.reason}${wait}` };
    }
    default:
      return { word: '■ Stopped', detail: status.reason };
  }
}
