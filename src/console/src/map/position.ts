// The cursor's position in degrees, minutes and seconds, in a corner of the map (aviators read
// positions as 35°24'00"N 035°54'00"E).

import * as L from 'leaflet';

function part(value: number, width: number, positive: string, negative: string): string {
  const hemisphere = value < 0 ? negative : positive;
  // Round to the second first, so 59.9999" becomes the next minute, not 60".
  let total = Math.round(Math.abs(value) * 3600);
  const d = Math.floor(total / 3600);
  total -= d * 3600;
  const m = Math.floor(total / 60);
  const s = total - m * 60;
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  return `${pad(d, width)}°${pad(m, 2)}'${pad(s, 2)}"${hemisphere}`;
}

/** 35.4, 35.9 -> 35°24'00"N 035°54'00"E. */
export function dms(lat: number, lng: number): string {
  const wrapped = ((((lng + 180) % 360) + 360) % 360) - 180;
  return `${part(lat, 2, 'N', 'S')} ${part(wrapped, 3, 'E', 'W')}`;
}

/** A control showing where the cursor is (or the map's centre when the cursor is elsewhere). */
export function addPositionControl(map: L.Map): void {
  const Control = L.Control.extend({
    onAdd() {
      const box = L.DomUtil.create('div', 'map-position');
      box.setAttribute('aria-label', 'Cursor position');
      box.dataset.testid = 'cursor-position';
      const show = (at: L.LatLng) => (box.textContent = dms(at.lat, at.lng));
      map.on('mousemove', (e: L.LeafletMouseEvent) => show(e.latlng));
      map.on('moveend', () => show(map.getCenter()));
      show(map.getCenter());
      return box;
    },
  });
  new Control({ position: 'bottomright' }).addTo(map);
}
