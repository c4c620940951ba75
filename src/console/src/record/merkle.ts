// RFC 9162 section 2.1 in the browser: leaf and node hashes, and the verification of inclusion
// (2.1.3.2) and consistency (2.1.4.2) proofs, written from the RFC's algorithms. Sizes and
// indexes are JavaScript numbers (exact below 2^53), so halving is done with arithmetic, not with
// the 32-bit bitwise operators.

import { concat, equal, sha256 } from './bytes';

export const HashSize = 32;

/** SHA-256(0x00 || entry). */
export function leafHash(entry: Uint8Array): Promise<Uint8Array> {
  return sha256(concat(new Uint8Array([0]), entry));
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  return sha256(concat(new Uint8Array([1]), left, right));
}

const odd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

/** RFC 9162 2.1.3.2: whether `proof` proves leaf `index` with hash `leaf` in the tree of `size` leaves with root `root`. */
export async function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: Uint8Array[], root: Uint8Array): Promise<boolean> {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size || leaf.length !== HashSize) {
    return false;
  }
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0 || p.length !== HashSize) {
      return false;
    }
    if (odd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equal(r, root);
}

/**
 * RFC 9162 2.1.4.2: whether `proof` shows the tree of `second` leaves with root `secondRoot`
 * extends the tree of `first` leaves with root `firstRoot`. Equal sizes need equal roots and an
 * empty proof; every tree extends the empty one.
 */
export async function verifyConsistency(first: number, second: number, firstRoot: Uint8Array, secondRoot: Uint8Array, proof: Uint8Array[]): Promise<boolean> {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) {
    return false;
  }
  if (first === second) {
    return proof.length === 0 && equal(firstRoot, secondRoot);
  }
  if (first === 0) {
    return proof.length === 0;
  }
  if (proof.length === 0 || proof.some((p) => p.length !== HashSize)) {
    return false;
  }
  // 2. When first is an exact power of 2, its root is the first node of the path.
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  // 3-4.
  let fn = first - 1;
  let sn = second - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5-6.
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) {
      return false;
    }
    if (odd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // 7.
  return equal(fr, firstRoot) && equal(sr, secondRoot) && sn === 0;
}

function isPowerOfTwo(n: number): boolean {
  while (n > 1 && !odd(n)) {
    n = half(n);
  }
  return n === 1;
}
