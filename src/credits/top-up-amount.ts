import type { Config } from '../config.js';
import { currencyExponent, formatMinorUnits, isChargeableAmount, isSupportedCurrency, minimumChargeAmount } from '../domain/money.js';
import type { FieldError } from '../domain/problem.js';

type AmountConfig = Pick<Config, 'TOPUP_MAX_AMOUNT' | 'TOPUP_PRESET_AMOUNTS'>;

/**
 * Limits are configured in major units (TOPUP_MAX_AMOUNT=10000 means $10,000 or ¥10,000) and scaled by the
 * currency's exponent, so one setting is meaningful for USD, JPY and KWD alike.
 */
export function validateTopUpAmount(amount: number, currency: string, config: AmountConfig): FieldError[] {
  if (!isSupportedCurrency(currency)) return [{ field: 'body.currency', message: `currency ${currency} is not supported` }];
  const scale = 10 ** currencyExponent(currency);
  const minimum = minimumChargeAmount(currency);
  const maximum = config.TOPUP_MAX_AMOUNT * scale;
  const errors: FieldError[] = [];
  if (amount < minimum) {
    errors.push({ field: 'body.amount', message: `must be at least ${minimum} (${formatMinorUnits(minimum, currency)} ${currency.toUpperCase()})` });
  }
  if (amount > maximum) {
    errors.push({ field: 'body.amount', message: `must be at most ${maximum} (${formatMinorUnits(maximum, currency)} ${currency.toUpperCase()})` });
  }
  if (!isChargeableAmount(amount, currency)) {
    errors.push({ field: 'body.amount', message: `${currency.toUpperCase()} amounts must be a multiple of 10 minor units` });
  }
  const presets = config.TOPUP_PRESET_AMOUNTS.map((major) => major * scale);
  if (presets.length > 0 && !presets.includes(amount)) {
    errors.push({ field: 'body.amount', message: `must be one of ${presets.join(', ')}` });
  }
  return errors;
}
