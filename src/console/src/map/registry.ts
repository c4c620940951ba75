// How features other than the map itself put things on the map: the map module sets `leaflet`
// once the map exists; a feature adds its layers with `addOverlay`, which also lists them in the
// map's layer control (so the officer can toggle them) and the legend.

import type * as L from 'leaflet';
import { Signal } from '../signal';

export interface Overlay {
  /** The name in the layer control, e.g. "Tracks". */
  name: string;
  layer: L.Layer;
  /** Shown when the console opens. */
  visible: boolean;
}

/** The Leaflet map, once created. */
export const leaflet = new Signal<L.Map | null>(null);

/** Every overlay registered so far; the map module watches it to build its layer control. */
export const overlays = new Signal<Overlay[]>([]);

export function addOverlay(overlay: Overlay): void {
  overlays.set([...overlays.value, overlay]);
}
