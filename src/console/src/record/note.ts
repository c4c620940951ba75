// C2SP signed notes (c2sp.org/signed-note) and tlog-checkpoints (c2sp.org/tlog-checkpoint) as the
// record serves them: the verifier key `name+keyhash+base64(0x01 || Ed25519 key)`, the note's
// text and signature lines `— name base64(key id || signature)`, the checkpoint's origin, size
// and root, and witness cosignatures (cosignature/v1, key id over 0x04).

import { concat, equal, fromBase64, sha256, toHex, utf8 } from './bytes';
import { HashSize } from './merkle';

const Ed25519Algorithm = 0x01;
const CosignatureAlgorithm = 0x04;

export interface VerifierKey {
  /** The whole verifier key string, as remembered. */
  text: string;
  name: string;
  /** The 4-byte key id, as 8 hex digits. */
  keyId: string;
  publicKey: Uint8Array;
}

export interface SignatureLine {
  name: string;
  keyId: Uint8Array;
  signature: Uint8Array;
}

export interface Checkpoint {
  origin: string;
  size: number;
  root: Uint8Array;
  /** The signed text: origin, size and root, each ending in a newline. */
  text: string;
  signatures: SignatureLine[];
}

/** The key id: the first 4 bytes of SHA-256(name || "\n" || algorithm || public key). */
export async function keyId(name: string, algorithm: number, publicKey: Uint8Array): Promise<Uint8Array> {
  return (await sha256(concat(utf8(name + '\n'), new Uint8Array([algorithm]), publicKey))).slice(0, 4);
}

/** Parses a verifier key; throws with a plain reason when it is malformed or its key hash does not match its key. */
export async function parseVerifierKey(text: string): Promise<VerifierKey> {
  const trimmed = text.trim();
  // The base64 key may itself hold '+': only the first two separate the fields.
  const first = trimmed.indexOf('+');
  const second = first < 0 ? -1 : trimmed.indexOf('+', first + 1);
  const parts = second < 0 ? [] : [trimmed.slice(0, first), trimmed.slice(first + 1, second), trimmed.slice(second + 1)];
  if (parts.length !== 3 || parts[0].length === 0 || !/^[0-9a-f]{8}$/i.test(parts[1])) {
    throw new Error('The record key the server gives is not a signed-note verifier key (name+keyhash+key).');
  }
  const blob = fromBase64(parts[2]);
  if (!blob || blob.length !== 33 || blob[0] !== Ed25519Algorithm) {
    throw new Error('The record key the server gives is not an Ed25519 key.');
  }
  const publicKey = blob.slice(1);
  const id = toHex(await keyId(parts[0], Ed25519Algorithm, publicKey));
  if (id !== parts[1].toLowerCase()) {
    throw new Error(`The record key's hash (${parts[1]}) does not match its key (${id}).`);
  }
  return { text: trimmed, name: parts[0], keyId: id, publicKey };
}

/** Splits a signed note and reads it as a checkpoint; throws with a plain reason when malformed. */
export function parseCheckpoint(note: string): Checkpoint {
  const split = note.indexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) {
    throw new Error('The checkpoint is not a signed note (no blank line before its signatures).');
  }
  const text = note.slice(0, split + 1);
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) {
    throw new Error('The checkpoint lacks its origin, size or root hash.');
  }
  const [origin, sizeText, rootText] = lines;
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw new Error(`The checkpoint's size "${sizeText}" is not a whole number.`);
  }
  const root = fromBase64(rootText);
  if (!root || root.length !== HashSize) {
    throw new Error("The checkpoint's root hash is not 32 bytes of base64.");
  }
  const signatures: SignatureLine[] = [];
  for (const line of note.slice(split + 2).split('\n')) {
    if (line.length === 0) {
      continue;
    }
    const fields = line.startsWith('\u2014 ') ? line.slice(2).split(' ') : [];
    const blob = fields.length === 2 ? fromBase64(fields[1]) : null;
    if (!blob || blob.length < 5) {
      throw new Error('The checkpoint has a malformed signature line.');
    }
    signatures.push({ name: fields[0], keyId: blob.slice(0, 4), signature: blob.slice(4) });
  }
  return { origin, size: Number(sizeText), root, text, signatures };
}

export async function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (publicKey.length !== 32 || signature.length !== 64) {
    return false;
  }
  const key = await crypto.subtle.importKey('raw', publicKey as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify']);
  return crypto.subtle.verify({ name: 'Ed25519' }, key, signature as Uint8Array<ArrayBuffer>, message as Uint8Array<ArrayBuffer>);
}

/**
 * Checks the checkpoint against the key: its origin is the key's name, and a signature line by
 * the key's name and id verifies over the text. Returns null when it does, else the reason.
 */
export async function checkSignature(checkpoint: Checkpoint, key: VerifierKey): Promise<string | null> {
  if (checkpoint.origin !== key.name) {
    return `The checkpoint names the log "${checkpoint.origin}", not "${key.name}" whose key this browser holds.`;
  }
  const mine = checkpoint.signatures.filter((s) => s.name === key.name && toHex(s.keyId) === key.keyId);
  if (mine.length === 0) {
    const others = checkpoint.signatures.filter((s) => s.name === key.name).map((s) => toHex(s.keyId));
    return others.length > 0
      ? `The checkpoint of ${checkpoint.size} entries is signed by another key (key id ${others.join(', ')}), not by the record key ${key.keyId} this browser holds.`
      : `The checkpoint of ${checkpoint.size} entries carries no signature by the record key ${key.name} (${key.keyId}).`;
  }
  for (const line of mine) {
    if (await verifyEd25519(key.publicKey, utf8(checkpoint.text), line.signature)) {
      return null;
    }
  }
  return `The signature on the checkpoint of ${checkpoint.size} entries does not verify under the record key ${key.name} (${key.keyId}).`;
}

/** A witness's cosignature line checked with its registered public key: its time, or null when it does not verify. */
export async function checkCosignature(checkpoint: Checkpoint, party: string, publicKey: Uint8Array): Promise<number | null> {
  const id = await keyId(party, CosignatureAlgorithm, publicKey);
  for (const line of checkpoint.signatures) {
    if (line.name !== party || !equal(line.keyId, id) || line.signature.length !== 8 + 64) {
      continue;
    }
    const time = new DataView(line.signature.buffer, line.signature.byteOffset, 8).getBigUint64(0);
    const message = utf8(`cosignature/v1\ntime ${time}\n${checkpoint.text}`);
    if (await verifyEd25519(publicKey, message, line.signature.slice(8))) {
      return Number(time);
    }
  }
  return null;
}
