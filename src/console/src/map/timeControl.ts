// The map's time control in the bar: volumes are 4D, and the map shows those in force at one
// moment: now (following the clock, the default), or any moment in the next 48 hours, picked
// with a slider (5-minute steps) or typed as a UTC date and time. Sets `ctx.mapTime`
// (null: follow now).

import type { ConsoleContext } from '../context';
import { h, utc } from '../dom';

const STEP_MIN = 5;
const HORIZON_MIN = 48 * 60;
const MINUTE = 60_000;

/** "2026-12-01T19:55" (UTC) for a datetime-local input. */
function inputValue(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

export function mountTimeControl(ctx: ConsoleContext): void {
  const slot = document.getElementById('time-control');
  if (!slot) return;

  const follow = h('input', { type: 'checkbox', id: 'map-follow-now', checked: true });
  const now = h('button', { type: 'button', id: 'map-now', title: 'Show what is in force now, following the clock' }, 'Now');
  const slider = h('input', { type: 'range', id: 'map-time-slider', min: 0, max: HORIZON_MIN, step: STEP_MIN, value: 0, 'aria-describedby': 'map-time-shown' });
  const picker = h('input', { type: 'datetime-local', id: 'map-time-input', step: 300 });
  const shown = h('output', { id: 'map-time-shown', class: 'map-time-shown', 'aria-live': 'polite' });

  const fixed = (ms: number) => ctx.mapTime.set(Math.round(ms / MINUTE) * MINUTE);

  follow.addEventListener('change', () => (follow.checked ? ctx.mapTime.set(null) : fixed(ctx.now())));
  now.addEventListener('click', () => ctx.mapTime.set(null));
  slider.addEventListener('input', () => fixed(ctx.now() + Number(slider.value) * MINUTE));
  const typed = () => {
    const ms = Date.parse(`${picker.value}:00Z`);
    if (!Number.isNaN(ms)) fixed(ms);
  };
  picker.addEventListener('input', typed);
  picker.addEventListener('change', typed);

  const update = () => {
    const t = ctx.mapTime.value;
    const at = t ?? ctx.now();
    follow.checked = t === null;
    slot.dataset.following = String(t === null);
    const offset = Math.round((at - ctx.now()) / MINUTE);
    slider.value = String(Math.max(0, Math.min(HORIZON_MIN, offset)));
    slider.setAttribute('aria-valuetext', t === null ? 'now' : `${utc(at, false)}`);
    if (document.activeElement !== picker) picker.value = inputValue(at);
    shown.textContent = t === null ? `Map shows now: ${utc(at, false)} (following)` : `Map shows ${utc(at, false)}`;
  };
  ctx.mapTime.on(update);
  // While following, the shown time moves with the clock.
  setInterval(() => {
    if (ctx.mapTime.value === null) update();
  }, 5_000);
  update();

  slot.replaceChildren(
    h('span', { class: 'map-time-title' }, 'Map time'),
    h('label', { class: 'map-follow' }, follow, ' Follow now'),
    now,
    h('label', { for: 'map-time-slider', class: 'map-visually-hidden' }, 'Time ahead, next 48 hours'),
    slider,
    h('label', { for: 'map-time-input', class: 'map-visually-hidden' }, 'Date and time shown, UTC'),
    picker,
    h('span', { class: 'map-time-utc', 'aria-hidden': 'true' }, 'UTC'),
    shown,
  );
}
