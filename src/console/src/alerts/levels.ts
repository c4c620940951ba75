// How an alert's level is shown everywhere: its order of urgency, its word, its colour (a theme
// variable) and, so that colour is never the only sign, its shape and the dash of its map line.

import type { AlertLevel } from '../model';

/** Most urgent first: the alerts panel sorts by this. */
export const levelOrder: readonly AlertLevel[] = ['loss', 'warning', 'caution', 'advisory'];

export function levelRank(level: AlertLevel): number {
  const rank = levelOrder.indexOf(level);
  return rank < 0 ? levelOrder.length : rank;
}

export const levelWord: Record<AlertLevel, string> = {
  loss: 'LOSS',
  warning: 'WARNING',
  caution: 'CAUTION',
  advisory: 'ADVISORY',
};

/** The map line's dash per level (canvas setLineDash pattern): solid for a loss of separation. */
export const levelDash: Record<AlertLevel, string | undefined> = {
  loss: undefined,
  warning: '14 4 3 4',
  caution: '10 6',
  advisory: '2 6',
};

export const levelWeight: Record<AlertLevel, number> = { loss: 5, warning: 4, caution: 3, advisory: 2 };

/** The colour of a level in the current theme (for the canvas, which cannot read var()). */
export function levelColour(level: AlertLevel): string {
  return themeColour(`--${level}`, '#ff5d5d');
}

export function themeColour(variable: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(variable).trim();
  return value || fallback;
}

const svgNs = 'http://www.w3.org/2000/svg';

// One shape per level: advisory a circle, caution a triangle, warning a diamond, loss an octagon
// with a bar (a stop sign), so the levels differ in the dark, in light and to a colour-blind eye.
const shapes: Record<AlertLevel, (svg: SVGSVGElement) => void> = {
  advisory: (svg) => svg.append(el('circle', { cx: '8', cy: '8', r: '5.5' })),
  caution: (svg) => svg.append(el('polygon', { points: '8,1.5 15,14.5 1,14.5' })),
  warning: (svg) => svg.append(el('polygon', { points: '8,0.5 15.5,8 8,15.5 0.5,8' })),
  loss: (svg) => {
    svg.append(el('polygon', { points: '5,0.5 11,0.5 15.5,5 15.5,11 11,15.5 5,15.5 0.5,11 0.5,5' }));
    svg.append(el('rect', { x: '3.5', y: '6.8', width: '9', height: '2.4', class: 'level-bar' }));
  },
};

/** The level's icon: an SVG shape filled with the level's colour (decorative: the word says it). */
export function levelIcon(level: AlertLevel): SVGSVGElement {
  const svg = document.createElementNS(svgNs, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('class', `level-icon level-${level}`);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  shapes[level](svg);
  return svg;
}

function el(tag: string, attributes: Record<string, string>): SVGElement {
  const element = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, value);
  }
  return element;
}
