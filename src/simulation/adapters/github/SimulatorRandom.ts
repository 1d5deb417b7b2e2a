/**
 * The GitHub simulator's randomness: pure hashes of a seed and counters rather than one shared
 * generator, so a value (a run's conclusion, an id gap, a fault) depends only on what it is about,
 * never on how many other draws happened before it.
 */

const twoTo32 = 4_294_967_296

/** murmur3's finaliser: a cheap, well-spread 32-bit mix. */
const mix = (value: number): number => {
  let hash = value >>> 0
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  hash ^= hash >>> 16
  return hash >>> 0
}

/** A number in [0, 1) determined by the parts (integers up to 2^53, negative ones included). */
export const unitInterval = (...parts: ReadonlyArray<number>): number => {
  let hash = 0x9e3779b9
  for (const part of parts) {
    hash = mix(hash ^ (part >>> 0))
    hash = mix(hash ^ (Math.floor(part / twoTo32) >>> 0))
  }
  return hash / twoTo32
}

/** Picks by weight; `draw` in [0, 1). Entries with no positive weight are never picked. */
export const pickWeighted = <A>(entries: ReadonlyArray<readonly [A, number]>, draw: number): A => {
  const positive = entries.filter(([, weight]) => weight > 0)
  const total = positive.reduce((sum, [, weight]) => sum + weight, 0)
  let remaining = draw * total
  for (const [value, weight] of positive) {
    if (remaining < weight) return value
    remaining -= weight
  }
  return positive[positive.length - 1]![0]
}

/** FNV-1a of a text, salted: 32 bits. */
const fnv1a = (text: string, salt: number): number => {
  let hash = (0x811c9dc5 ^ salt) >>> 0
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index)
    hash = Math.imul(hash, 0x01000193)
  }
  return mix(hash)
}

/** A commit-like 40-digit hex digest of a text: the same text, the same digest. */
export const hexDigest = (text: string): string =>
  [0, 1, 2, 3, 4].map((salt) => fnv1a(text, salt).toString(16).padStart(8, "0")).join("")
