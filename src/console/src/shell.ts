// The frame around the views: who is signed in, the connection, the tabs (arrow keys move
// between them, as the WAI-ARIA tabs pattern has it), the theme, sign-out and the alarm state.

import type { ConsoleContext } from './context';
import { duration } from './dom';
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
  const render = () => {
    const status = ctx.connection.value;
    const head = ctx.live.head?.size ?? 0;
    // How far behind: entries the last signed head holds that the stream has not brought yet
    // (some may be entries this caller may not see), and the silence since the last byte.
    const silence = status.lastHeardAt ? (Date.now() - status.lastHeardAt) / 1000 : 0;
    const behind = Math.max(0, head - 1 - status.lastEventId);
    element.dataset.state = status.state;
    element.textContent =
      status.state === 'connected'
        ? `● Live, event ${status.lastEventId}${silence > 20 ? `, silent ${duration(silence)}` : ''}${behind > 0 ? `, head at ${head - 1}` : ''}`
        : status.state === 'connecting'
          ? '○ Connecting…'
          : status.state === 'reconnecting'
            ? `▲ Reconnecting (${status.reason}); resumes after event ${status.lastEventId}`
            : `■ Stopped: ${status.reason}`;
  };
  ctx.connection.on(render);
  ctx.live.on('head', render);
  setInterval(render, 1000);
  render();
}
