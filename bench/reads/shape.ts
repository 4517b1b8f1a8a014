/**
 * The shape of the reads bench's seed: how many rows, which tenant and wallet each row belongs to, and when it
 * happened. Deterministic (a seeded PRNG), so the big and the small database differ only in their row counts.
 */

export const TENANTS = 100;
export const WALLETS_PER_TENANT = 100;
export const CLIENTS_PER_TENANT = 20;
const DAY_MS = 24 * 60 * 60 * 1000;
export const SPAN_MS = 365 * DAY_MS;

export interface SeedSize {
  ledgerEntries: number;
  invoices: number;
  campaigns: number;
}

/** The full seed (× scale); the baseline database is this ÷ 100. */
export function seedSize(scale: number, divisor = 1): SeedSize {
  const count = (full: number) => Math.max(1, Math.round((full * scale) / divisor));
  return { ledgerEntries: count(1_000_000), invoices: count(100_000), campaigns: count(10_000) };
}

export const tenantId = (index: number) => `t${String(index).padStart(3, '0')}`;
export const walletId = (index: number) => `acct_${String(index).padStart(3, '0')}`;
/** Every tenant bills in one currency; one in ten in EUR. */
export const tenantCurrency = (index: number) => (index % 10 === 3 ? 'eur' : 'usd');

/** mulberry32: small, fast, good enough to spread rows. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Zipf (s = 1) over `n` ranks: rank 0 is the largest. Over 100 tenants the largest holds about 19% of the rows,
 * the smallest 0.2%: a few big tenants and a long tail, which is what a shared deployment looks like.
 */
export function zipfPicker(n: number): (random: number) => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) cumulative[i] = total += 1 / (i + 1);
  return (random) => {
    const target = random * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/**
 * The i-th of `count` rows spread evenly over the year that ends at `end`, oldest first, with jitter; whole
 * milliseconds (list cursors carry a JS Date).
 */
export function timeOf(i: number, count: number, end: number, random: () => number): Date {
  return new Date(Math.floor(end - SPAN_MS + ((i + random()) / count) * SPAN_MS));
}
