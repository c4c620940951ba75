// A map layer that is one <canvas> the caller paints, redrawn at most once per animation frame:
// hundreds of aircraft updated every second cost one paint, not hundreds of DOM or SVG updates.
// The canvas is larger than the map by half its size around it, so a pan shows what is beside the
// view until the layer is repainted at the pan's end; it is hidden during a zoom animation.

import * as L from 'leaflet';

/** Paints the layer: `toPoint` gives a position's pixel on the canvas (CSS pixels). */
export type Painter = (g: CanvasRenderingContext2D, toPoint: (at: L.LatLngExpression) => L.Point, map: L.Map) => void;

const padding = 0.5;

export class CanvasLayer extends L.Layer {
  private canvas: HTMLCanvasElement | null = null;
  private frame = 0;
  /** The canvas's top-left corner in layer pixels: stable while the map pans. */
  private origin = L.point(0, 0);

  constructor(private readonly painter: Painter) {
    super();
  }

  override onAdd(map: L.Map): this {
    const canvas = L.DomUtil.create('canvas', 'track-canvas');
    canvas.setAttribute('aria-hidden', 'true');
    map.getPanes().overlayPane.appendChild(canvas);
    this.canvas = canvas;
    map.on('moveend zoomend resize viewreset', this.reset, this);
    map.on('zoomstart', this.hide, this);
    this.reset();
    return this;
  }

  override onRemove(map: L.Map): this {
    map.off('moveend zoomend resize viewreset', this.reset, this);
    map.off('zoomstart', this.hide, this);
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.canvas?.remove();
    this.canvas = null;
    return this;
  }

  /** Repaints on the next animation frame (several calls in one frame paint once). */
  redraw(): void {
    if (this.canvas && !this.frame) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.paint();
      });
    }
  }

  private hide(): void {
    if (this.canvas) {
      this.canvas.style.visibility = 'hidden';
    }
  }

  private reset(): void {
    const map = this._map;
    const canvas = this.canvas;
    if (!map || !canvas) {
      return;
    }
    const size = map.getSize();
    const offset = size.multiplyBy(padding).round();
    const ratio = window.devicePixelRatio || 1;
    const width = size.x + 2 * offset.x;
    const height = size.y + 2 * offset.y;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    this.origin = map.containerPointToLayerPoint(offset.multiplyBy(-1)).round();
    L.DomUtil.setPosition(canvas, this.origin);
    canvas.style.visibility = '';
    this.paint();
  }

  private paint(): void {
    const map = this._map;
    const canvas = this.canvas;
    if (!map || !canvas) {
      return;
    }
    const g = canvas.getContext('2d');
    if (!g) {
      return;
    }
    const ratio = window.devicePixelRatio || 1;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, canvas.width, canvas.height);
    const origin = this.origin;
    this.painter(g, (at) => map.latLngToLayerPoint(at).subtract(origin), map);
  }
}
