// Where an aircraft will be: its reported position moved along its velocity, in the local
// east-north-up plane (straight lines over the minutes an alert looks ahead, as the detector's
// own prediction does), and the alert's countdown from its prediction.

import type { Alert, AlertAircraft, LatLng } from '../model';

const earthRadiusM = 6378137;

/** The position `seconds` after one at `at` moving east/north at the given speeds (m/s). */
export function project(at: LatLng, eastMps: number, northMps: number, seconds: number): LatLng {
  const lat = at.lat + ((northMps * seconds) / earthRadiusM) * (180 / Math.PI);
  const cos = Math.max(Math.cos((at.lat * Math.PI) / 180), 1e-6);
  let lng = at.lng + ((eastMps * seconds) / (earthRadiusM * cos)) * (180 / Math.PI);
  if (lng > 180) lng -= 360;
  if (lng < -180) lng += 360;
  return { lat, lng };
}

/** The aircraft of an alert at `time` (ms since the epoch), along its reported velocity. */
export function aircraftAt(aircraft: AlertAircraft, time: number): LatLng {
  const seconds = (time - Date.parse(aircraft.time)) / 1000;
  return project(aircraft.position, aircraft.velocity.east_mps, aircraft.velocity.north_mps, seconds);
}

/** Both aircraft at the closest point of approach, and the point midway between them. */
export function closestApproach(alert: Alert): { a: LatLng; b: LatLng; mid: LatLng } {
  const time = Date.parse(alert.cpa.time);
  const a = aircraftAt(alert.a, time);
  const b = aircraftAt(alert.b, time);
  return { a, b, mid: { lat: (a.lat + b.lat) / 2, lng: (a.lng + b.lng) / 2 } };
}

/**
 * Seconds left until loss of separation at `now` (ms on the server's clock): the prediction's
 * time_to_loss_s counted down from predicted_at, never below zero (then it is lost) nor above it.
 */
export function secondsToLoss(alert: Alert, now: number): number {
  // A clock a moment behind the prediction's (the server's clock was read at start-up) never
  // counts up: the prediction itself is the most there is.
  const elapsed = Math.max(0, (now - Date.parse(alert.predicted_at)) / 1000);
  return Math.max(0, alert.time_to_loss_s - elapsed);
}
