// Lines of latitude and longitude over the map, every 1, 5 or 10 degrees as the zoom allows,
// redrawn for the part of the world in view (so a graticule costs a few dozen lines, not 64,800).

import * as L from 'leaflet';

function spacing(zoom: number): number {
  if (zoom >= 7) return 1;
  if (zoom >= 4) return 5;
  return 10;
}

export function graticuleLayer(map: L.Map, renderer: L.Renderer): L.LayerGroup {
  const group = L.layerGroup();
  let covered = L.latLngBounds([]);
  const style: L.PolylineOptions = { renderer, color: '#7f8b99', weight: 0.6, opacity: 0.45, interactive: false, dashArray: '2 4' };
  let drawn = '';
  const draw = (force = false) => {
    if (!map.hasLayer(group)) return;
    const step = spacing(map.getZoom());
    // Lines for three views' worth around the view, redrawn only once the view leaves them.
    const view = map.getBounds();
    const key = `${step}`;
    if (!force && drawn.startsWith(`${key}|`) && covered.contains(view)) return;
    const b = view.pad(1);
    covered = b;
    drawn = `${key}|`;
    group.clearLayers();
    const south = Math.max(-85, Math.floor(b.getSouth() / step) * step);
    const north = Math.min(85, Math.ceil(b.getNorth() / step) * step);
    const west = Math.floor(b.getWest() / step) * step;
    const east = Math.ceil(b.getEast() / step) * step;
    for (let lat = south; lat <= north; lat += step) {
      group.addLayer(L.polyline([[lat, west], [lat, east]], style));
    }
    for (let lng = west; lng <= east; lng += step) {
      group.addLayer(L.polyline([[south, lng], [north, lng]], style));
    }
  };
  map.on('moveend zoomend', () => draw());
  group.on('add', () => draw(true));
  return group;
}
