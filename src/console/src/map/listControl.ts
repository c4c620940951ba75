// The objects on the map as a list of buttons, so an officer can reach and select each one with
// the keyboard (a canvas has no focusable shapes). Built only while the list is open.

import * as L from 'leaflet';
import { h, replace } from '../dom';
import type { Selection } from '../model';
import type { Entry } from './volumes';

export interface ListItem {
  selection: Selection;
  text: string;
}

export function listControl(map: L.Map, select: (selection: Selection) => void): (items: () => ListItem[]) => void {
  let details: HTMLDetailsElement | null = null;
  let list: HTMLElement | null = null;
  let source: () => ListItem[] = () => [];
  const draw = () => {
    if (!details || !list) return;
    const items = source();
    (details.querySelector('summary') as HTMLElement).textContent = `Shown on the map (${items.length})`;
    if (!details.open) {
      replace(list);
      return;
    }
    replace(
      list,
      items.map((item) =>
        h('li', {}, h('button', { type: 'button', 'data-kind': item.selection.kind, 'data-id': item.selection.id, onclick: () => select(item.selection) }, item.text)),
      ),
    );
  };
  const Control = L.Control.extend({
    onAdd() {
      details = h('details', { class: 'map-objects' }) as HTMLDetailsElement;
      list = h('ul', { class: 'map-objects-list' });
      details.append(h('summary', {}, 'Shown on the map'), list);
      details.addEventListener('toggle', draw);
      L.DomEvent.disableClickPropagation(details);
      L.DomEvent.disableScrollPropagation(details);
      return details;
    },
  });
  new Control({ position: 'topleft' }).addTo(map);
  return (items) => {
    source = items;
    draw();
  };
}

export function describeEntry(entry: Entry, text: string): ListItem {
  return { selection: { kind: entry.kind, id: entry.id }, text };
}
