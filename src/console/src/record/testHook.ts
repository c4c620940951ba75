// The verification functions, page-side, for the browser tests to check against proofs the
// server's own MerkleTree computes (hex in, booleans out). Pure functions: nothing here changes
// what the console shows.

import { fromBase64, fromHex, toHex } from './bytes';
import { leafHash, verifyConsistency, verifyInclusion } from './merkle';
import { parseVerifierKey } from './note';
import { recordState } from './verifier';

const bytes = (hex: string): Uint8Array => {
  const b = fromHex(hex);
  if (!b) {
    throw new Error(`not hex: ${hex}`);
  }
  return b;
};

export function exposeTestHook(): void {
  (window as unknown as Record<string, unknown>).__deconflictRecord = {
    leafHash: async (base64: string) => toHex(await leafHash(fromBase64(base64)!)),
    verifyInclusion: (index: number, size: number, leaf: string, proof: string[], root: string) => verifyInclusion(index, size, bytes(leaf), proof.map(bytes), bytes(root)),
    verifyConsistency: (first: number, second: number, firstRoot: string, secondRoot: string, proof: string[]) =>
      verifyConsistency(first, second, bytes(firstRoot), bytes(secondRoot), proof.map(bytes)),
    parseVerifierKey: async (text: string) => {
      const key = await parseVerifierKey(text);
      return { name: key.name, keyId: key.keyId };
    },
    verifiedSize: () => recordState.value.head?.size ?? null,
  };
}
