// The line's message kinds (API.md "Deconfliction line"; LineEndpoints' validation) and what each
// must reference, so the compose form can say so before the service refuses.

export interface KindInfo {
  id: string;
  label: string;
  /** A short tag for lists. */
  tag: string;
  /** What the service requires of the references, in words; empty when nothing. */
  needs: string;
}

export const Kinds: readonly KindInfo[] = [
  { id: 'free-text', label: 'Free text', tag: 'Text', needs: '' },
  { id: 'operation-notice', label: 'Notice of operation', tag: 'Notice', needs: 'Reference at least one operation.' },
  { id: 'deconflict-request', label: 'Request to deconflict', tag: 'Deconflict', needs: 'Reference at least one conflict.' },
  { id: 'unsafe-conduct', label: 'Report of unsafe conduct', tag: 'Unsafe', needs: 'Reference an alert, or give the place and time below.' },
];

export function kindInfo(id: string): KindInfo {
  return Kinds.find((k) => k.id === id) ?? { id, label: id, tag: id, needs: '' };
}

/** The reference kinds a message may carry, as the service accepts them. */
export const RefKinds = ['operation', 'zone', 'conflict', 'alert'] as const;
export type RefKind = (typeof RefKinds)[number];

export function isRefKind(kind: string): kind is RefKind {
  return (RefKinds as readonly string[]).includes(kind);
}
