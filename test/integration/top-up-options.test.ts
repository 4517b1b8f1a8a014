import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createTestApp, FRONTEND_ORIGIN, type TestApp } from '../helpers/app-context.js';

let app: TestApp;

beforeAll(async () => {
  // 1.15 is 114.99999999999999 when multiplied as a float: presets are converted exactly, as decimals.
  app = await createTestApp({ TOPUP_PRESET_AMOUNTS: '25,0.50,1.15,10', TOPUP_MAX_AMOUNT: '100' });
  await app.startWorker();
});

afterAll(async () => {
  await app?.close();
});

describe('GET /v1/credits/top-up-options', () => {
  it('lists limits and presets per currency in minor units, fractional major-unit presets included', async () => {
    const response = await api(app, 'GET', '/v1/credits/top-up-options', { key: app.keys.t1Member });
    expect(response.status).toBe(200);
    const byCurrency = Object.fromEntries(response.body.data.map((row: { currency: string }) => [row.currency, row]));
    expect(byCurrency.usd).toEqual({ currency: 'usd', exponent: 2, min: 50, max: 10_000, presets: [50, 115, 1000, 2500] });
    // GBP's minimum charge is 0.30: 0.50 is allowed there too.
    expect(byCurrency.gbp).toEqual({ currency: 'gbp', exponent: 2, min: 30, max: 10_000, presets: [50, 115, 1000, 2500] });
    // KWD has three decimals and Stripe wants multiples of 10: 1.15 KD = 1150 fils qualifies, 0.50 KD = 500 does.
    expect(byCurrency.kwd).toEqual({ currency: 'kwd', exponent: 3, min: 200, max: 100_000, presets: [500, 1150, 10_000, 25_000] });
    // No preset is a valid JPY charge (0.50 and 1.15 yen do not exist, 10 and 25 are below ¥50): no JPY top-ups.
    expect(byCurrency.jpy).toBeUndefined();
    // HUF's minimum charge (175.00) is above every preset.
    expect(byCurrency.huf).toBeUndefined();
  });

  it('answers one currency on request, and an empty list for one that cannot be topped up', async () => {
    const usd = await api(app, 'GET', '/v1/credits/top-up-options?currency=USD', { key: app.keys.t1Admin });
    expect(usd.body).toEqual({ data: [{ currency: 'usd', exponent: 2, min: 50, max: 10_000, presets: [50, 115, 1000, 2500] }] });
    const jpy = await api(app, 'GET', '/v1/credits/top-up-options?currency=jpy', { key: app.keys.t1Admin });
    expect(jpy.body).toEqual({ data: [] });
    expect((await api(app, 'GET', '/v1/credits/top-up-options?currency=xyz', { key: app.keys.t1Admin })).status).toBe(400);
    expect((await api(app, 'GET', '/v1/credits/top-up-options')).status).toBe(401);
  });

  it('a top-up accepts exactly the published presets', async () => {
    const start = (amount: number, currency = 'usd') =>
      api(app, 'POST', '/v1/credits/top-ups', { key: app.keys.t1Admin, body: { amount, currency }, headers: { origin: FRONTEND_ORIGIN } });
    expect((await start(115)).status).toBe(201);
    expect((await start(50)).status).toBe(201);
    const refused = await start(100);
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ field: 'body.amount', message: 'must be one of 50, 115, 1000, 2500' }]);
    const yen = await start(1000, 'jpy');
    expect(yen.status).toBe(400);
    expect(yen.body.errors).toEqual([{ field: 'body.currency', message: 'no configured top-up amount is valid in JPY' }]);
  });

  it('is documented in /openapi.json with its minor-unit representation', async () => {
    const doc = (await api(app, 'GET', '/openapi.json')).body;
    expect(doc.paths['/v1/credits/top-up-options'].get).toBeDefined();
    const schema = doc.components.schemas.TopUpCurrencyOptions;
    expect(schema.required).toEqual(expect.arrayContaining(['currency', 'exponent', 'min', 'max', 'presets']));
    expect(schema.properties.presets.description).toMatch(/minor units/);
  });
});
