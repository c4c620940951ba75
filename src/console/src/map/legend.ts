// The legend: a colour per party, and the shapes that say what a volume is (so no state is told
// by colour alone). Swatches are small SVG drawings built with the DOM.

import * as L from 'leaflet';
import { h, replace } from '../dom';
import type { Palette } from './style';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag: string, attributes: Record<string, string>): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
  return el;
}

type Swatch = 'filled' | 'outline' | 'hatched' | 'ring' | 'dashed' | 'conflict' | 'selected';

function swatch(kind: Swatch, colour: string): SVGElement {
  const box = svg('svg', { width: '28', height: '16', viewBox: '0 0 28 16', 'aria-hidden': 'true', class: 'legend-swatch' });
  const rect = (extra: Record<string, string>) => svg('rect', { x: '3', y: '3', width: '22', height: '10', rx: '1', fill: 'none', stroke: colour, 'stroke-width': '2', ...extra });
  if (kind === 'hatched') {
    const id = `legend-hatch-${colour.replace(/[^a-z0-9]/gi, '')}`;
    const pattern = svg('pattern', { id, width: '5', height: '5', patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(-45)' });
    pattern.append(svg('line', { x1: '0', y1: '0', x2: '0', y2: '5', stroke: colour, 'stroke-width': '2' }));
    const defs = svg('defs', {});
    defs.append(pattern);
    box.append(defs, rect({ fill: `url(#${id})` }));
  } else if (kind === 'filled') {
    box.append(rect({ fill: colour, 'fill-opacity': '0.3' }));
  } else if (kind === 'ring') {
    box.append(rect({ 'stroke-width': '5', 'stroke-opacity': '0.8' }));
  } else if (kind === 'dashed') {
    box.append(rect({ 'stroke-dasharray': '5 3' }));
  } else if (kind === 'conflict') {
    box.append(rect({ 'stroke-width': '3', 'stroke-dasharray': '1 4', 'stroke-linecap': 'round' }));
  } else if (kind === 'selected') {
    box.append(rect({ 'stroke-width': '4' }));
  } else {
    box.append(rect({}));
  }
  return box;
}

export interface LegendParty {
  id: string;
  name: string;
  colour: string;
  own: boolean;
}

export function legendControl(map: L.Map): (parties: LegendParty[], p: Palette) => void {
  let body: HTMLElement | null = null;
  const Control = L.Control.extend({
    onAdd() {
      const details = h('details', { class: 'map-legend', open: true });
      body = h('div', { class: 'map-legend-body' });
      details.append(h('summary', {}, 'Legend'), body);
      L.DomEvent.disableClickPropagation(details);
      L.DomEvent.disableScrollPropagation(details);
      return details;
    },
  });
  new Control({ position: 'bottomleft' }).addTo(map);

  return (parties, p) => {
    if (!body) return;
    const neutral = p.text;
    const row = (kind: Swatch, colour: string, text: string) => h('li', {}, swatch(kind, colour) as unknown as Node, ` ${text}`);
    replace(
      body,
      h('h3', {}, 'Parties'),
      h(
        'ul',
        {},
        parties.map((party) => row(party.own ? 'filled' : 'outline', party.colour, `${party.name}${party.own ? ' (own)' : ''}`)),
      ),
      h('h3', {}, 'Shapes'),
      h(
        'ul',
        {},
        row('filled', neutral, 'Own operation: filled'),
        row('outline', neutral, "Other party's operation: outline"),
        row('hatched', neutral, 'Exclusive zone: hatched'),
        row('ring', neutral, 'Protected zone: thick ring'),
        row('dashed', neutral, 'Advisory zone: dashed'),
        row('conflict', p.loss, 'In an open conflict: dotted'),
        row('selected', p.focus, 'Selected'),
      ),
    );
  };
}
