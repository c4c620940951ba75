// The API's objects as the console reads them (shared/API.md; field names as served, snake_case).

export type DeclarationKind = 'operation' | 'zone';
export type DeclarationState = 'planned' | 'active' | 'ended' | 'cancelled';
export type ZoneRule = 'exclusive' | 'protected' | 'advisory';

export interface Length {
  value: number;
  units: string;
}

export interface Altitude {
  value: number;
  reference: string;
  units: string;
}

export interface LatLng {
  lat: number;
  lng: number;
}

export interface Volume4D {
  volume: {
    outline_polygon?: { vertices: LatLng[] } | null;
    outline_circle?: { center: LatLng; radius: Length } | null;
    altitude_lower?: Altitude | null;
    altitude_upper?: Altitude | null;
  };
  time_start?: { value: string; format: string } | null;
  time_end?: { value: string; format: string } | null;
}

/** An operation or a zone. `details` only for its owner. */
export interface Declaration {
  id: string;
  party: string;
  version: number;
  state: DeclarationState;
  priority: number;
  rule?: ZoneRule | null;
  name?: string | null;
  volumes: Volume4D[];
  details?: unknown;
  created_at: string;
  updated_at: string;
  record_index?: number | null;
  details_sha256?: string | null;
}

export interface Ref {
  kind: DeclarationKind;
  id: string;
  party: string;
  version: number;
}

export interface Conflict {
  id: string;
  version: number;
  state: 'open' | 'acknowledged' | 'resolved' | 'accepted';
  a: Ref;
  b: Ref;
  overlap: { time_start: string; time_end: string; altitude_lower_m: number; altitude_upper_m: number };
  acknowledged_by: Record<string, string>;
  accepted_by: Record<string, string>;
  created_at: string;
  updated_at: string;
  resolved_at?: string | null;
  record_index?: number | null;
}

export interface AlertAircraft {
  party: string;
  own: boolean;
  track_id?: string | null;
  callsign?: string | null;
  time: string;
  position: LatLng;
  altitude_m: number;
  velocity: { east_mps: number; north_mps: number; up_mps: number };
  lost?: boolean | null;
}

export type AlertLevel = 'advisory' | 'caution' | 'warning' | 'loss';

export interface Alert {
  id: string;
  version: number;
  state: 'active' | 'cleared';
  level: AlertLevel;
  a: AlertAircraft;
  b: AlertAircraft;
  time_to_loss_s: number;
  cpa: { time: string; horizontal_m: number; vertical_m: number };
  predicted_at: string;
  acknowledged_by: Record<string, string>;
  raised_at: string;
  updated_at: string;
  cleared_at?: string | null;
  cleared_reason?: string | null;
  track_lost_at?: string | null;
  record_index?: number | null;
}

export interface Receipt {
  delivered_at?: string | null;
  read_at?: string | null;
  acknowledged_at?: string | null;
  acknowledged_by?: string | null;
  note?: string | null;
  escalation_level: number;
  due_at?: string | null;
}

export interface LineRef {
  kind: string;
  id: string;
}

export interface Message {
  id: string;
  version: number;
  from: string;
  to: string[];
  kind: string;
  subject: string;
  body: string;
  language?: string;
  refs: LineRef[];
  place?: unknown;
  sent_at: string;
  requires_ack: boolean;
  ack_due_at?: string | null;
  receipts: Record<string, Receipt>;
  notice_for?: string | null;
  record_index?: number | null;
}

export interface PartyInfo {
  id: string;
  name: string;
  role: string;
  public_key?: string | null;
  created_at: string;
}

export interface Me {
  party: string | null;
  name: string;
  role: 'party' | 'observer' | 'admin';
  may_write: boolean;
  sees_everything: boolean;
  token_id: string;
}

export interface RecordHead {
  origin?: string;
  size: number;
  root_hash: string;
  timestamp: string;
  signature: string;
  cosignatures?: unknown[];
}

/** What can be selected on the map or in a list (and referenced by a line message). */
export interface Selection {
  kind: 'operation' | 'zone' | 'conflict' | 'alert' | 'message' | 'track';
  id: string;
}
