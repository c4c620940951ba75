// The offline basemap: land, borders and coastlines from world-atlas (Natural Earth 1:50m, bundled
// by Vite as its own chunk so the console's first script stays small), and major cities. Nothing
// is fetched from another origin.

import * as L from 'leaflet';
import { feature, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import { cities } from './cities';

export interface Basemap {
  land: L.LayerGroup;
  borders: L.LayerGroup;
  cities: L.LayerGroup;
  /** Re-reads the theme's colours (after a theme change). */
  restyle(): void;
}

function landStyle(): L.PathOptions {
  return { stroke: true, color: colour('--map-coast', '#6b7c8f'), weight: 1, fillColor: colour('--map-land', '#25303c'), fillOpacity: 1 };
}

function borderStyle(): L.PathOptions {
  return { color: colour('--map-border', '#8a97a6'), weight: 0.8, opacity: 0.8, dashArray: '4 3' };
}

function colour(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

export function basemap(map: L.Map): Basemap {
  // The basemap has its own pane and canvas, so redrawing a volume never redraws the land.
  map.createPane('basemap').style.zIndex = '250';
  const renderer = L.canvas({ pane: 'basemap', padding: 0.3 });
  const land = L.layerGroup();
  const borders = L.layerGroup();

  void import('world-atlas/countries-50m.json').then((module) => {
    const topology = (module.default ?? module) as unknown as Topology<{ countries: GeometryCollection; land: GeometryCollection }>;
    land.addLayer(L.geoJSON(feature(topology, topology.objects.land), { renderer, interactive: false, style: landStyle() } as L.GeoJSONOptions));
    borders.addLayer(L.geoJSON(mesh(topology, topology.objects.countries, (a, b) => a !== b), { renderer, interactive: false, style: borderStyle() } as L.GeoJSONOptions));
    map.fire('basemap-loaded');
  });

  const cities = cityLayer(map);
  const restyle = () => {
    land.eachLayer((l) => (l as L.GeoJSON).setStyle(landStyle()));
    borders.eachLayer((l) => (l as L.GeoJSON).setStyle(borderStyle()));
    cities.fire('add');
  };
  return { land, borders, cities, restyle };
}

/** Major cities, more of them the closer the zoom (Natural Earth's scale rank decides). */
function cityLayer(map: L.Map): L.LayerGroup {
  map.createPane('cities').style.zIndex = '260';
  const group = L.layerGroup();
  const draw = () => {
    if (!map.hasLayer(group)) return;
    group.clearLayers();
    const zoom = map.getZoom();
    const bounds = map.getBounds().pad(0.1);
    const maxRank = zoom >= 7 ? 9 : zoom >= 5 ? zoom - 2 : zoom - 3;
    const dot = colour('--map-city', '#c9d1d9');
    for (const city of cities) {
      if (city.rank > maxRank || !bounds.contains([city.lat, city.lng])) continue;
      const marker = L.circleMarker([city.lat, city.lng], { pane: 'cities', radius: 3, weight: 1, color: dot, fillColor: dot, fillOpacity: 0.9, interactive: false });
      marker.bindTooltip(city.name, { permanent: true, direction: 'right', offset: [4, 0], className: 'map-city-label', pane: 'cities' });
      group.addLayer(marker);
    }
  };
  map.on('moveend zoomend', draw);
  group.on('add', draw);
  return group;
}
