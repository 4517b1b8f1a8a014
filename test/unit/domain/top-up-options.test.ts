import { describe, expect, it } from 'vitest';
import { majorToMinorUnits, topUpAmountErrors, topUpOptionsFor } from '../../../src/domain/top-up/options.js';

describe('top-up options (minor units from major-unit config)', () => {
  it('converts major units exactly, without floating-point products', () => {
    expect(majorToMinorUnits(1.15, 'usd')).toBe(115); // 1.15 * 100 === 114.99999999999999
    expect(majorToMinorUnits(0.29, 'usd')).toBe(29);
    expect(majorToMinorUnits(0.5, 'usd')).toBe(50);
    expect(majorToMinorUnits(10, 'jpy')).toBe(10);
    expect(majorToMinorUnits(0.5, 'jpy')).toBeUndefined();
    expect(majorToMinorUnits(1.234, 'kwd')).toBe(1234);
    expect(majorToMinorUnits(1.234, 'usd')).toBeUndefined();
  });

  it('keeps only presets the currency can charge, ascending, and validates against them', () => {
    const limits = { TOPUP_MAX_AMOUNT: 100, TOPUP_PRESET_AMOUNTS: [25, 0.5, 1.15, 0.2, 200] };
    expect(topUpOptionsFor('USD', limits)).toEqual({ currency: 'usd', exponent: 2, min: 50, max: 10_000, presets: [50, 115, 2500] });
    expect(topUpOptionsFor('kwd', limits)?.presets).toEqual([200, 500, 1150, 25_000]); // 0.2 KD is KWD's minimum charge
    expect(topUpOptionsFor('jpy', limits)).toBeUndefined();
    expect(topUpAmountErrors(115, 'usd', limits)).toEqual([]);
    expect(topUpAmountErrors(116, 'usd', limits)).toEqual([{ field: 'body.amount', message: 'must be one of 50, 115, 2500' }]);
    expect(topUpOptionsFor('usd', { TOPUP_MAX_AMOUNT: 100, TOPUP_PRESET_AMOUNTS: [] })?.presets).toEqual([]);
    expect(topUpAmountErrors(10_001, 'usd', { TOPUP_MAX_AMOUNT: 100, TOPUP_PRESET_AMOUNTS: [] })).toEqual([
      { field: 'body.amount', message: 'must be at most 10000 (100.00 USD)' },
    ]);
  });
});
