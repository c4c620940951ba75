// The offline basemap: land, borders and coastlines from world-atlas (Natural Earth 1:50m, bundled
// by Vite as its own chunk so the console's first script stays small), and major cities. Nothing
// is fetched from another origin.

import * as L from 'leaflet';
import { feature, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import { cities } from './cities';
import { cutLine, cutPolygon } from './tiles';

export interface Basemap {
  land: L.LayerGroup;
  borders: L.LayerGroup;
  cities: L.LayerGroup;
  /** Re-reads the theme's colours (after a theme change). */
  restyle(): void;
}

function landStyle(): L.PathOptions {
  return { stroke: false, fill: true, fillColor: colour('--map-land', '#25303c'), fillOpacity: 1 };
}

function coastStyle(): L.PathOptions {
  return { color: colour('--map-coast', '#6b7c8f'), weight: 1, opacity: 1 };
}

function borderStyle(): L.PathOptions {
  return { color: colour('--map-border', '#8a97a6'), weight: 0.8, opacity: 0.8, dashArray: '4 3' };
}

function colour(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** The polygons of a (multi)polygon geometry, each as rings of [lng, lat]. */
function parts(geometry: GeoJSON.Geometry | null): GeoJSON.Position[][][] {
  if (!geometry) return [];
  if (geometry.type === 'Polygon') return [geometry.coordinates];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates;
  if (geometry.type === 'GeometryCollection') return geometry.geometries.flatMap(parts);
  return [];
}

export function basemap(map: L.Map, renderer: L.Renderer): Basemap {
  const land = L.layerGroup();
  const borders = L.layerGroup();

  void import('world-atlas/countries-50m.json').then((module) => {
    const topology = (module.default ?? module) as unknown as Topology<{ countries: GeometryCollection; land: GeometryCollection }>;
    // One layer per island and per border line, not one for the world: Leaflet skips a layer
    // whose bounds are off screen, so a pan redraws only the coastlines in view.
    const latLng = (line: GeoJSON.Position[]) => line.map(([lng, lat]) => [lat, lng] as L.LatLngTuple);
    const world = feature(topology, topology.objects.land);
    for (const piece of world.features.flatMap((f) => parts(f.geometry)).flatMap(cutPolygon)) {
      land.addLayer(L.polygon(piece.map(latLng), { renderer, interactive: false, ...landStyle() }));
    }
    for (const line of mesh(topology, topology.objects.land).coordinates.flatMap(cutLine)) {
      land.addLayer(L.polyline(latLng(line), { renderer, interactive: false, ...coastStyle() }));
    }
    for (const line of mesh(topology, topology.objects.countries, (a, b) => a !== b).coordinates.flatMap(cutLine)) {
      borders.addLayer(L.polyline(latLng(line), { renderer, interactive: false, ...borderStyle() }));
    }
    map.fire('basemap-loaded');
  });

  const cities = cityLayer(map, renderer);
  const restyle = () => {
    land.eachLayer((l) => (l as L.Path).setStyle(l instanceof L.Polygon ? landStyle() : coastStyle()));
    borders.eachLayer((l) => (l as L.Path).setStyle(borderStyle()));
    cities.fire('add');
  };
  return { land, borders, cities, restyle };
}

/** Major cities, more of them the closer the zoom (Natural Earth's scale rank decides). */
function cityLayer(map: L.Map, renderer: L.Renderer): L.LayerGroup {
  const group = L.layerGroup();
  // Redrawn when the zoom changes or the view leaves the area drawn (three views' worth), not
  // on every move: each city carries a label element.
  let drawnZoom = -1;
  let covered = L.latLngBounds([]);
  const draw = (force = false) => {
    if (!map.hasLayer(group)) return;
    const zoom = map.getZoom();
    if (!force && zoom === drawnZoom && covered.contains(map.getBounds())) return;
    drawnZoom = zoom;
    covered = map.getBounds().pad(1);
    group.clearLayers();
    const bounds = covered;
    const maxRank = zoom >= 7 ? 9 : zoom >= 5 ? zoom - 2 : zoom - 3;
    const dot = colour('--map-city', '#c9d1d9');
    for (const city of cities) {
      if (city.rank > maxRank || !bounds.contains([city.lat, city.lng])) continue;
      const marker = L.circleMarker([city.lat, city.lng], { renderer, radius: 3, weight: 1, color: dot, fillColor: dot, fillOpacity: 0.9, interactive: false });
      marker.bindTooltip(city.name, { permanent: true, direction: 'right', offset: [4, 0], className: 'map-city-label' });
      group.addLayer(marker);
    }
  };
  map.on('moveend zoomend', () => draw());
  group.on('add', () => draw(true));
  return group;
}
