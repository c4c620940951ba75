// Notices: a banner per new warning or loss alert, new conflict and overdue message.
import type { ConsoleContext } from './context';

export function mountNotices(ctx: ConsoleContext): void {
  const banners = document.getElementById('banners')!;
  ctx.notices.on((notice) => {
    if (notice) {
      const banner = document.createElement('div');
      banner.className = `banner banner-${notice.level}`;
      banner.textContent = notice.text;
      banners.prepend(banner);
    }
  });
}
