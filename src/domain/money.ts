/**
 * Currency facts for integer minor units. Stripe expresses every amount in the currency's smallest unit:
 * 500 USD = $5.00, 500 JPY = ¥500, 5000 KWD = 5.000 KD.
 */
const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** Stripe's minimum charge per currency, in minor units (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts). */
const STRIPE_MINIMUM_CHARGE: Record<string, number> = {
  usd: 50, aed: 200, aud: 50, bgn: 100, brl: 50, cad: 50, chf: 50, czk: 1500, dkk: 250, eur: 50, gbp: 30,
  hkd: 400, huf: 17500, inr: 50, jpy: 50, mxn: 1000, myr: 200, nok: 300, nzd: 50, pln: 200, ron: 200,
  sek: 300, sgd: 50, thb: 1000,
  // Three-decimal presentment currencies: roughly Stripe's USD 0.50 floor, in multiples of 10 as Stripe requires.
  bhd: 200, jod: 400, kwd: 200, omr: 200, tnd: 2000,
};

export function currencyExponent(currency: string): number {
  const code = currency.toLowerCase();
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

/** Stripe requires three-decimal amounts to end in 0 (it cannot settle the last digit). */
export function isChargeableAmount(amount: number, currency: string): boolean {
  return currencyExponent(currency) !== 3 || amount % 10 === 0;
}

export function isSupportedCurrency(currency: string): boolean {
  return currency.toLowerCase() in STRIPE_MINIMUM_CHARGE;
}

export function supportedCurrencies(): string[] {
  return Object.keys(STRIPE_MINIMUM_CHARGE);
}

export function minimumChargeAmount(currency: string): number {
  return STRIPE_MINIMUM_CHARGE[currency.toLowerCase()] ?? 10 ** currencyExponent(currency);
}

/** Exact decimal rendering without floating point: formatMinorUnits(1999, 'usd') === '19.99'. */
export function formatMinorUnits(amount: number | bigint, currency: string): string {
  const exponent = currencyExponent(currency);
  const value = BigInt(amount);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(exponent + 1, '0');
  const whole = exponent === 0 ? digits : digits.slice(0, -exponent);
  const fraction = exponent === 0 ? '' : `.${digits.slice(-exponent)}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** pg returns bigint as string; amounts above 2^53 are refused rather than silently rounded. */
export function toSafeInteger(value: string | number | bigint): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new RangeError(`amount ${String(value)} exceeds the safe integer range`);
  return number;
}
