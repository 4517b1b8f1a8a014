import { randomUUID } from 'node:crypto';
import { createPaymentsClient, type PaymentsClient } from 'payments-orchestrator/client';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app-context.js';

let app: TestApp;
let client: PaymentsClient;

beforeAll(async () => {
  app = await createTestApp({ TOPUP_PRESET_AMOUNTS: '0.50,10' });
  await app.startWorker();
  client = createPaymentsClient({ baseUrl: app.baseUrl, apiKey: app.keys.t1Admin });
});

afterAll(async () => {
  await app?.close();
});

describe("the typed client, imported as 'payments-orchestrator/client', against the real gateway", () => {
  it('reads the top-up options with the API key', async () => {
    const { data, error, response } = await client.GET('/v1/credits/top-up-options', { params: { query: { currency: 'usd' } } });
    expect(response.status).toBe(200);
    expect(error).toBeUndefined();
    expect(data?.data).toEqual([{ currency: 'usd', exponent: 2, min: 50, max: 1_000_000, presets: [50, 1000] }]);
    expectTypeOf(data!.data[0]!.presets).toEqualTypeOf<number[]>();
  });

  it('starts an Elements top-up with an Idempotency-Key and gets its client_secret', async () => {
    const key = randomUUID();
    const start = () =>
      client.POST('/v1/credits/top-ups', {
        body: { amount: 1000, currency: 'usd', mode: 'payment_intent' },
        params: { header: { 'idempotency-key': key } },
      });
    const first = await start();
    expect(first.response.status).toBe(201);
    expect(first.data).toMatchObject({ id: expect.stringMatching(/^tu_/), client_secret: expect.any(String), payment_intent_id: expect.any(String) });
    expect((await start()).data).toEqual(first.data);
  });

  it('answers problems as typed errors, and sends a token from a function per request', async () => {
    const refused = await client.POST('/v1/credits/top-ups', { body: { amount: 75, currency: 'usd', mode: 'payment_intent' } });
    expect(refused.response.status).toBe(400);
    expect(refused.error?.code).toBe('validation_failed');
    const calls: string[] = [];
    const withToken = createPaymentsClient({
      baseUrl: app.baseUrl,
      token: () => {
        calls.push('token');
        return 'not-a-valid-token';
      },
    });
    const unauthorized = await withToken.GET('/v1/credits/balance', { params: { query: {} } });
    expect(unauthorized.response.status).toBe(401);
    expect(calls).toEqual(['token']);
    expect(() => createPaymentsClient({ baseUrl: app.baseUrl, apiKey: 'k', token: 't' } as never)).toThrow(TypeError);
  });
});
