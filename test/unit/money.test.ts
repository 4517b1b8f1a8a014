import { describe, expect, it } from 'vitest';
import { validateTopUpAmount } from '../../src/credits/top-up-amount.js';
import { currencyExponent, formatMinorUnits, isSupportedCurrency, minimumChargeAmount, toSafeInteger } from '../../src/domain/money.js';

describe('currencyExponent', () => {
  it.each([
    ['jpy', 0],
    ['JPY', 0],
    ['krw', 0],
    ['usd', 2],
    ['eur', 2],
    ['kwd', 3],
    ['BHD', 3],
  ])('%s → %i', (currency, exponent) => {
    expect(currencyExponent(currency)).toBe(exponent);
  });
});

describe('formatMinorUnits', () => {
  it.each([
    [1999, 'usd', '19.99'],
    [5, 'usd', '0.05'],
    [0, 'usd', '0.00'],
    [-5, 'usd', '-0.05'],
    [-1999, 'usd', '-19.99'],
    [500, 'jpy', '500'],
    [5000, 'kwd', '5.000'],
    [1, 'kwd', '0.001'],
  ] as const)('%i %s → %s', (amount, currency, expected) => {
    expect(formatMinorUnits(amount, currency)).toBe(expected);
  });

  it('is exact beyond the float range (bigint)', () => {
    expect(formatMinorUnits(123456789012345678901n, 'usd')).toBe('1234567890123456789.01');
    expect(formatMinorUnits(2n ** 64n, 'jpy')).toBe('18446744073709551616');
    // 0.1 + 0.2 style errors cannot happen: no division involved.
    expect(formatMinorUnits(30, 'usd')).toBe('0.30');
  });
});

describe('minimumChargeAmount', () => {
  it.each([
    ['usd', 50],
    ['USD', 50],
    ['jpy', 50],
    ['gbp', 30],
    ['huf', 17500],
    // Three-decimal: about USD 0.50, a multiple of 10.
    ['kwd', 200],
    // Not in the table: one major unit.
    ['krw', 1],
    ['zar', 100],
  ])('%s → %i', (currency, minimum) => {
    expect(minimumChargeAmount(currency)).toBe(minimum);
  });
});

describe('toSafeInteger', () => {
  it('converts pg bigint strings and refuses values that would round', () => {
    expect(toSafeInteger('123')).toBe(123);
    expect(toSafeInteger(9_007_199_254_740_991n)).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => toSafeInteger('9007199254740993')).toThrow(RangeError);
  });
});

describe('validateTopUpAmount', () => {
  const limits = { TOPUP_MAX_AMOUNT: 10_000, TOPUP_PRESET_AMOUNTS: [] as number[] };

  it('enforces the Stripe minimum: USD 49 rejected, 50 accepted', () => {
    const errors = validateTopUpAmount(49, 'usd', limits);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ field: 'body.amount' });
    expect(errors[0]!.message).toContain('at least 50 (0.50 USD)');
    expect(validateTopUpAmount(50, 'usd', limits)).toEqual([]);
    expect(validateTopUpAmount(50, 'USD', limits)).toEqual([]);
  });

  it('scales TOPUP_MAX_AMOUNT (major units) by the currency exponent', () => {
    // USD: 10,000 major units = 1,000,000 cents.
    expect(validateTopUpAmount(1_000_000, 'usd', limits)).toEqual([]);
    const usd = validateTopUpAmount(1_000_001, 'usd', limits);
    expect(usd).toHaveLength(1);
    expect(usd[0]!.message).toContain('at most 1000000 (10000.00 USD)');
    // JPY has no minor unit: 10,000 major units = 10,000.
    expect(validateTopUpAmount(10_000, 'jpy', limits)).toEqual([]);
    const jpy = validateTopUpAmount(10_001, 'jpy', limits);
    expect(jpy).toHaveLength(1);
    expect(jpy[0]!.message).toContain('at most 10000 (10000 JPY)');
    expect(validateTopUpAmount(49, 'jpy', limits)[0]!.message).toContain('at least 50');
  });

  it('rejects unsupported currencies before checking the amount', () => {
    expect(isSupportedCurrency('xyz')).toBe(false);
    expect(validateTopUpAmount(5000, 'xyz', limits)).toEqual([{ field: 'body.currency', message: 'currency xyz is not supported' }]);
  });

  it('handles three-decimal currencies by exponent: KWD amounts must end in 0', () => {
    expect(isSupportedCurrency('kwd')).toBe(true);
    expect(validateTopUpAmount(5000, 'kwd', limits)).toEqual([]);
    expect(validateTopUpAmount(5005, 'kwd', limits)).toEqual([{ field: 'body.amount', message: 'KWD amounts must be a multiple of 10 minor units' }]);
    expect(validateTopUpAmount(190, 'kwd', limits)[0]).toMatchObject({ message: expect.stringContaining('at least 200 (0.200 KWD)') });
  });

  it('accepts only the presets (major units, scaled) when TOPUP_PRESET_AMOUNTS is set', () => {
    const presets = { TOPUP_MAX_AMOUNT: 10_000, TOPUP_PRESET_AMOUNTS: [10, 25, 100] };
    expect(validateTopUpAmount(1000, 'usd', presets)).toEqual([]);
    expect(validateTopUpAmount(2500, 'usd', presets)).toEqual([]);
    expect(validateTopUpAmount(10_000, 'usd', presets)).toEqual([]);
    const off = validateTopUpAmount(1500, 'usd', presets);
    expect(off).toEqual([{ field: 'body.amount', message: 'must be one of 1000, 2500, 10000' }]);
    // Same setting in JPY: ¥100 is a preset, 10 and 25 are below Stripe's ¥50 minimum anyway.
    expect(validateTopUpAmount(100, 'jpy', presets)).toEqual([]);
    expect(validateTopUpAmount(1000, 'jpy', presets)).toEqual([{ field: 'body.amount', message: 'must be one of 10, 25, 100' }]);
    expect(validateTopUpAmount(25, 'jpy', presets).map((error) => error.message)).toEqual(['must be at least 50 (50 JPY)']);
  });

  it('reports every violated limit at once', () => {
    const errors = validateTopUpAmount(10, 'usd', { TOPUP_MAX_AMOUNT: 10_000, TOPUP_PRESET_AMOUNTS: [10] });
    expect(errors.map((error) => error.message)).toEqual(['must be at least 50 (0.50 USD)', 'must be one of 1000']);
  });
});
