// A few DOM helpers, so views build elements without innerHTML (nothing a party wrote is ever
// parsed as HTML: subjects, bodies, names and notes are text).

import { ApiProblem } from './api';

type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'class') {
      element.className = String(value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Replaces the children of `parent`. */
export function replace(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren(...children.flat().filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false).map((c) => (c instanceof Node ? c : String(c))));
}

/**
 * Shows a refusal next to the action that caused it: the problem's title and detail, never a
 * raw body or a stack. `slot` is the element reserved for it beside the form or button.
 */
export function showProblem(slot: HTMLElement, error: unknown): void {
  const problem = error instanceof ApiProblem ? error : null;
  const title = problem ? problem.title : 'The action failed';
  const detail = problem ? problem.detail : error instanceof Error ? error.message : '';
  replace(slot, h('strong', {}, title), detail ? h('span', {}, ` ${detail}`) : null);
  slot.hidden = false;
  slot.setAttribute('role', 'alert');
  slot.classList.add('problem');
}

export function clearProblem(slot: HTMLElement): void {
  slot.replaceChildren();
  slot.hidden = true;
}

/** "1h 02m 03s", "2m 05s", "45s"; negative as "-" + the same. */
export function duration(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  let s = Math.floor(Math.abs(seconds));
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  s -= minutes * 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return hours > 0 ? `${sign}${hours}h ${pad(minutes)}m ${pad(s)}s` : minutes > 0 ? `${sign}${minutes}m ${pad(s)}s` : `${sign}${s}s`;
}

/** An RFC 3339 time as "HH:MM:SSZ" (today) or "YYYY-MM-DD HH:MMZ". */
export function utc(time: string | number | Date, withSeconds = true): string {
  const d = new Date(time);
  const iso = d.toISOString();
  return withSeconds ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z` : `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
}
