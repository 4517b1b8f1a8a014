import { currencyExponent, formatMinorUnits, isChargeableAmount, isSupportedCurrency, minimumChargeAmount, supportedCurrencies } from '../money.js';
import type { FieldError } from '../problem.js';

/** TOPUP_MAX_AMOUNT (whole major units) and TOPUP_PRESET_AMOUNTS (major units, up to 3 decimals: 0.5, 10, 25). */
export interface TopUpLimits {
  TOPUP_MAX_AMOUNT: number;
  TOPUP_PRESET_AMOUNTS: number[];
}

/** What a frontend may offer for one currency; every amount in minor units (Stripe's integers). */
export interface TopUpCurrencyOptions {
  currency: string;
  /** Decimal places of the major unit: 2 for USD (1000 = $10.00), 0 for JPY, 3 for KWD. */
  exponent: number;
  min: number;
  max: number;
  /** The only amounts accepted, ascending; empty means any amount from min to max. */
  presets: number[];
}

/**
 * A major-unit amount in minor units, exactly (no floating-point product): 0.5 USD → 50, 10 JPY → 10; undefined
 * when the currency cannot express it (0.5 JPY) or the number is not a plain decimal.
 */
export function majorToMinorUnits(major: number, currency: string): number | undefined {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(String(major));
  if (!match) return undefined;
  const exponent = currencyExponent(currency);
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > exponent) return undefined;
  const minor = Number(`${match[1]}${fraction.padEnd(exponent, '0')}`);
  return Number.isSafeInteger(minor) ? minor : undefined;
}

/**
 * The options of one currency, or undefined when it cannot be topped up: unsupported, or presets are configured
 * and none of them is a valid charge in this currency (too small, too large, finer than its minor unit).
 */
export function topUpOptionsFor(currency: string, limits: TopUpLimits): TopUpCurrencyOptions | undefined {
  const code = currency.toLowerCase();
  if (!isSupportedCurrency(code)) return undefined;
  const exponent = currencyExponent(code);
  const min = minimumChargeAmount(code);
  const max = limits.TOPUP_MAX_AMOUNT * 10 ** exponent;
  const presets = [
    ...new Set(
      limits.TOPUP_PRESET_AMOUNTS.map((major) => majorToMinorUnits(major, code)).filter(
        (minor): minor is number => minor !== undefined && minor >= min && minor <= max && isChargeableAmount(minor, code),
      ),
    ),
  ].sort((a, b) => a - b);
  if (limits.TOPUP_PRESET_AMOUNTS.length > 0 && presets.length === 0) return undefined;
  return { currency: code, exponent, min, max, presets };
}

/** Every currency a top-up may be paid in, in the order of money.ts. */
export function topUpOptions(limits: TopUpLimits): TopUpCurrencyOptions[] {
  return supportedCurrencies()
    .map((currency) => topUpOptionsFor(currency, limits))
    .filter((options): options is TopUpCurrencyOptions => options !== undefined);
}

/** Checks a requested top-up against exactly what topUpOptionsFor publishes. */
export function topUpAmountErrors(amount: number, currency: string, limits: TopUpLimits): FieldError[] {
  if (!isSupportedCurrency(currency)) return [{ field: 'body.currency', message: `currency ${currency} is not supported` }];
  const options = topUpOptionsFor(currency, limits);
  if (!options) return [{ field: 'body.currency', message: `no configured top-up amount is valid in ${currency.toUpperCase()}` }];
  const { min, max, presets } = options;
  const errors: FieldError[] = [];
  if (amount < min) errors.push({ field: 'body.amount', message: `must be at least ${min} (${formatMinorUnits(min, currency)} ${currency.toUpperCase()})` });
  if (amount > max) errors.push({ field: 'body.amount', message: `must be at most ${max} (${formatMinorUnits(max, currency)} ${currency.toUpperCase()})` });
  if (!isChargeableAmount(amount, currency)) {
    errors.push({ field: 'body.amount', message: `${currency.toUpperCase()} amounts must be a multiple of 10 minor units` });
  }
  if (presets.length > 0 && !presets.includes(amount)) errors.push({ field: 'body.amount', message: `must be one of ${presets.join(', ')}` });
  return errors;
}
