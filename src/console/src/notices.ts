// Notices: banners that cannot be missed, each level with its own colour AND its own shape and
// word (a loss an octagon, a warning a triangle, a new conflict a diamond, an overdue message a
// clock), stacked newest first, each with Show and Dismiss; and, when the officer turned it on, a
// short tone per level, made with WebAudio (no audio file to load).
//
// This module raises the notices for new conflicts and overdue line messages itself, from the
// live stream; the alerts and line views raise theirs through ctx.notify.

import './notices.css';
import type { ConsoleContext, Notice } from './context';
import { h, utc } from './dom';
import type { Conflict, Message } from './model';

const SoundKey = 'deconflict.sound';
const MaxBanners = 5;

interface Look {
  /** The word said before the text, in capitals on screen. */
  word: string;
  /** The shape drawn by CSS on data-shape (its name is also exposed for tests and tools). */
  shape: string;
}

const Looks: Record<string, Look> = {
  loss: { word: 'Loss of separation', shape: 'octagon' },
  warning: { word: 'Warning', shape: 'triangle' },
  new: { word: 'New conflict', shape: 'diamond' },
  overdue: { word: 'Overdue', shape: 'clock' },
  info: { word: 'Notice', shape: 'circle' },
};

/** Each level's tone: the frequencies played one after the other, the wave, and each note's length. */
const Tones: Record<string, { notes: number[]; wave: OscillatorType; seconds: number }> = {
  loss: { notes: [988, 740, 988, 740], wave: 'square', seconds: 0.14 },
  warning: { notes: [880, 660], wave: 'triangle', seconds: 0.18 },
  new: { notes: [523, 784], wave: 'sine', seconds: 0.16 },
  overdue: { notes: [440, 440, 440], wave: 'sine', seconds: 0.1 },
  info: { notes: [600], wave: 'sine', seconds: 0.12 },
};

export function mountNotices(ctx: ConsoleContext): void {
  const banners = document.getElementById('banners')!;
  const sound = mountSound();

  ctx.notices.on((notice) => {
    if (!notice) {
      return;
    }
    show(ctx, banners, notice);
    sound.play(notice.level);
  });

  watchStream(ctx);
}

/** One banner per object: an alert going from warning to loss replaces its warning banner. */
function keyOf(notice: Notice): string {
  return notice.selection ? `${notice.selection.kind}:${notice.selection.id}` : `${notice.kind}|${notice.level}|${notice.text}`;
}

function show(ctx: ConsoleContext, banners: HTMLElement, notice: Notice): void {
  const look = Looks[notice.level] ?? Looks.info;
  const key = keyOf(notice);
  // The same object raised again (an alert stepping up, a message escalating) replaces its banner.
  for (const old of banners.querySelectorAll<HTMLElement>('.banner')) {
    if (old.dataset.key === key) {
      old.remove();
    }
  }
  const banner = h(
    'div',
    { class: `banner banner-${notice.level}`, 'data-level': notice.level, 'data-kind': notice.kind, 'data-shape': look.shape, 'data-key': key, role: 'group', 'aria-label': `${look.word}: ${notice.text}` },
    h('span', { class: 'banner-icon', 'data-shape': look.shape, 'aria-hidden': 'true' }),
    h('span', { class: 'banner-word' }, look.word),
    h('span', { class: 'banner-text' }, notice.text),
    h('span', { class: 'banner-time' }, utc(ctx.now()).slice(11)),
  );
  const actions = h('span', { class: 'banner-actions' });
  if (notice.selection) {
    const selection = notice.selection;
    actions.append(h('button', { type: 'button', class: 'banner-show', onclick: () => ctx.select(selection) }, 'Show'));
  }
  const dismiss = h('button', { type: 'button', class: 'banner-dismiss', 'aria-label': `Dismiss: ${look.word}: ${notice.text}` }, 'Dismiss');
  dismiss.addEventListener('click', () => {
    // Focus goes to the next banner's Dismiss, so a keyboard user clears a stack in a row.
    const next = (banner.nextElementSibling ?? banner.previousElementSibling)?.querySelector<HTMLButtonElement>('.banner-dismiss');
    const hadFocus = banner.contains(document.activeElement);
    banner.remove();
    if (hadFocus) {
      next?.focus();
    }
  });
  actions.append(dismiss);
  banner.append(actions);
  banners.prepend(banner);
  // Only the newest few stay; the lists hold the rest.
  const all = banners.querySelectorAll('.banner');
  for (let i = MaxBanners; i < all.length; i++) {
    all[i].remove();
  }
}

interface Sound {
  play(level: string): void;
}

/** The #sound toggle (off by default, remembered in this browser) and the tones. */
function mountSound(): Sound {
  const button = document.getElementById('sound') as HTMLButtonElement | null;
  let on = localStorage.getItem(SoundKey) === 'on';
  let audio: AudioContext | null = null;

  const draw = () => {
    if (button) {
      button.setAttribute('aria-pressed', String(on));
      button.textContent = on ? '♪ Sound on' : 'Sound off';
    }
  };
  const context = (): AudioContext | null => {
    if (!audio && typeof AudioContext !== 'undefined') {
      audio = new AudioContext();
    }
    return audio;
  };
  const play = (level: string) => {
    if (!on) {
      return;
    }
    const ac = context();
    if (!ac) {
      return;
    }
    const tone = Tones[level] ?? Tones.info;
    let at = ac.currentTime + 0.02;
    for (const frequency of tone.notes) {
      const oscillator = ac.createOscillator();
      const gain = ac.createGain();
      oscillator.type = tone.wave;
      oscillator.frequency.value = frequency;
      // A short ramp in and out: no click at the edges.
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + tone.seconds);
      oscillator.connect(gain).connect(ac.destination);
      oscillator.start(at);
      oscillator.stop(at + tone.seconds + 0.02);
      at += tone.seconds + 0.04;
    }
  };

  button?.addEventListener('click', () => {
    on = !on;
    localStorage.setItem(SoundKey, on ? 'on' : 'off');
    draw();
    if (on) {
      // Browsers start audio only from a gesture: this click is one. A short tone confirms.
      void context()?.resume();
      play('info');
    }
  });
  draw();
  return { play };
}

/**
 * New conflicts and overdue messages from the live stream. What the console loaded at start-up
 * (and the stream replays from just before it) is not new: a conflict known when this mounted, or
 * an escalation no higher than the one the loaded message already carried, raises nothing.
 */
function watchStream(ctx: ConsoleContext): void {
  const known = new Set(ctx.live.conflicts.keys());
  const escalated = new Map<string, number>();
  for (const m of ctx.live.messages.values()) {
    for (const [party, receipt] of Object.entries(m.receipts ?? {})) {
      escalated.set(`${m.id}|${party}`, receipt.escalation_level ?? 0);
    }
  }
  const me = ctx.me.party;

  ctx.events.on((events) => {
    for (const event of events) {
      if (event.type === 'conflict') {
        const data = event.data as { action?: string; conflict?: Conflict };
        const c = data.conflict;
        if (!c || typeof c.id !== 'string' || known.has(c.id)) {
          continue;
        }
        known.add(c.id);
        if (data.action !== 'opened') {
          continue;
        }
        const store = ctx.live;
        const side = (r: Conflict['a']) => `${r.kind} ${r.id} (${store.partyName(r.party)}${r.party === me ? ', yours' : ''})`;
        ctx.notify({
          kind: 'conflict',
          level: 'new',
          text: `${side(c.a)} overlaps ${side(c.b)} from ${utc(c.overlap.time_start)} to ${utc(c.overlap.time_end)}.`,
          selection: { kind: 'conflict', id: c.id },
        });
      } else if (event.type === 'line-overdue') {
        const data = event.data as { message_id?: string; from?: string; recipient?: string; subject?: string; escalation_level?: number; message?: Message };
        if (typeof data.message_id !== 'string' || typeof data.recipient !== 'string' || me === null || (data.from !== me && data.recipient !== me)) {
          continue;
        }
        const key = `${data.message_id}|${data.recipient}`;
        const level = data.escalation_level ?? 0;
        if (level <= (escalated.get(key) ?? 0)) {
          continue;
        }
        escalated.set(key, level);
        const store = ctx.live;
        const subject = data.subject ?? data.message?.subject ?? '';
        const text =
          data.recipient === me
            ? `“${subject}” from ${store.partyName(data.from ?? '')} awaits your acknowledgement (escalation level ${level}).`
            : `“${subject}” to ${store.partyName(data.recipient)} is not acknowledged (escalation level ${level}).`;
        ctx.notify({ kind: 'message', level: 'overdue', text, selection: { kind: 'message', id: data.message_id } });
      }
    }
  });
}
