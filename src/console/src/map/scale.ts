// The scale bar: metric, and nautical miles (the unit aviators work in), one above the other.

import * as L from 'leaflet';

const NAUTICAL_MILE_M = 1852;

interface ScaleInternals {
  _addScales(options: L.Control.ScaleOptions, className: string, container: HTMLElement): void;
  _updateScales(maxMeters: number): void;
  _updateScale(scale: HTMLElement, text: string, ratio: number): void;
  _getRoundNum(num: number): number;
  _nauticalScale: HTMLElement;
}

const base = L.Control.Scale.prototype as unknown as ScaleInternals;

const NauticalScale = L.Control.Scale.extend({
  _addScales(this: ScaleInternals, options: L.Control.ScaleOptions, className: string, container: HTMLElement) {
    base._addScales.call(this, options, className, container);
    this._nauticalScale = L.DomUtil.create('div', className, container);
  },
  _updateScales(this: ScaleInternals, maxMeters: number) {
    base._updateScales.call(this, maxMeters);
    const maxMiles = maxMeters / NAUTICAL_MILE_M;
    const miles = Number(this._getRoundNum(maxMiles).toPrecision(2));
    this._updateScale(this._nauticalScale, `${miles} NM`, miles / maxMiles);
  },
});

export function addScale(map: L.Map): void {
  new (NauticalScale as unknown as new (options: L.Control.ScaleOptions) => L.Control.Scale)({ metric: true, imperial: false, maxWidth: 140, position: 'bottomright' }).addTo(map);
}
