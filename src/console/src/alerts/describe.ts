// The words for an alert's aircraft: the viewer's own by its track id (and callsign), another
// party's only as the alert shows it (that party's name and where it was: never its track id,
// which the API does not give).

import { utc } from '../dom';
import type { Alert, AlertAircraft } from '../model';
import type { Store } from '../store';
import { altitude, position } from './units';

/** Who flies it: "Own" or the party's name. */
export function sideName(store: Store, side: AlertAircraft): string {
  return side.own ? 'Own' : store.partyName(side.party);
}

/** "BLUE-LEAD-1 (VIPER11)" when the id is shown to the viewer, else "aircraft at 35.0000N 38.1000E". */
export function aircraftName(side: AlertAircraft): string {
  if (side.track_id) {
    return side.callsign ? `${side.track_id} (${side.callsign})` : side.track_id;
  }
  return `aircraft at ${position(side.position.lat, side.position.lng)}`;
}

/** The whole line for one aircraft: name, height, when reported, and whether its track is lost. */
export function aircraftLine(side: AlertAircraft): string {
  return `${aircraftName(side)}, ${altitude(side.altitude_m)}, reported ${utc(side.time)}${side.lost ? ', track lost' : ''}`;
}

/** The viewer's own aircraft first (the admin and observers: a, then b). */
export function sides(alert: Alert): [AlertAircraft, AlertAircraft] {
  return alert.b.own && !alert.a.own ? [alert.b, alert.a] : [alert.a, alert.b];
}

/** "BLUE-LEAD-1 and red aircraft at 35.0000N 38.1000E". */
export function pairName(store: Store, alert: Alert): string {
  const [first, second] = sides(alert);
  const name = (side: AlertAircraft) => (side.own ? aircraftName(side) : `${store.partyName(side.party)} ${aircraftName(side)}`);
  return `${name(first)} and ${name(second)}`;
}

/** The parties of the alert, each once, in a then b order. */
export function alertParties(alert: Alert): string[] {
  return alert.a.party === alert.b.party ? [alert.a.party] : [alert.a.party, alert.b.party];
}
