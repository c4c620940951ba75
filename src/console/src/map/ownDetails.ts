// The own party's details for its operations and zones. The event stream carries each
// declaration as the record holds it, without details (they are private and only committed to
// by their hash), so when one of the own declarations arrives from the stream without them, the
// map reads it once from the API (GET /v1/operations/{id}, which gives the owner its details).

import type { Api } from '../api';
import type { Declaration, DeclarationKind } from '../model';

export class OwnDetails {
  private readonly held = new Map<string, { version: number; details: unknown }>();
  private readonly asking = new Set<string>();

  constructor(
    private readonly api: Api,
    private readonly arrived: () => void,
  ) {}

  /** `d` with its details: as given, as read before, or (once read) on the next call. */
  resolve(kind: DeclarationKind, d: Declaration): Declaration {
    if (d.details !== undefined && d.details !== null) return d;
    // A declaration that commits to no details has none to read.
    if (d.details_sha256 === null) return d;
    const key = `${kind}:${d.id}`;
    const held = this.held.get(key);
    if (held && held.version >= d.version) return held.details === undefined ? d : { ...d, details: held.details };
    if (!this.asking.has(key)) {
      this.asking.add(key);
      this.api
        .get<Declaration>(`/v1/${kind}s/${encodeURIComponent(d.id)}`)
        .then((full) => {
          this.held.set(key, { version: full.version, details: full.details ?? undefined });
          this.arrived();
        })
        .catch(() => {
          // Gone (cancelled and pruned) or unreachable: the map shows it without details.
          this.held.set(key, { version: d.version, details: undefined });
        })
        .finally(() => this.asking.delete(key));
    }
    return d;
  }
}
