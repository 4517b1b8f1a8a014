import { sql } from 'kysely';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/connection.js';
import { appendLedgerEntry, SourceKeyConflictError } from '../../src/db/ledger.js';
import { api, createTestApp, FRONTEND_ORIGIN, type ApiResponse, type TestApp } from '../helpers/app-context.js';

const JWT_SECRET = 'test-jwt-secret-with-enough-entropy-0123456789';
let app: TestApp;

beforeAll(async () => {
  app = await createTestApp({ JWT_SECRET, RATE_LIMIT_WRITES_PER_MINUTE: '1000' });
});

afterAll(async () => {
  await app?.close();
});

async function grant(accountId: string, amount: number, currency = 'usd', idempotencyKey?: string) {
  return api(app, 'POST', '/v1/credits/grants', {
    key: app.keys.t1Admin,
    body: { account_id: accountId, amount, currency, reason: 'test grant' },
    headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
  });
}

async function ledgerRowCount(): Promise<number> {
  const row = await app.db.selectFrom('credit_ledger').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('credits API', () => {
  it('grants (admin only), spends, and refuses to go below zero with 409', async () => {
    expect((await grant('wallet-a', 1000)).status).toBe(201);
    const member = await api(app, 'POST', '/v1/credits/grants', {
      key: app.keys.t1Member,
      body: { account_id: 'wallet-a', amount: 5, currency: 'usd', reason: 'nope' },
    });
    expect(member.status).toBe(403);
    expect(member.body.code).toBe('forbidden');

    const spend = await api(app, 'POST', '/v1/credits/spend', { key: app.keys.t1Member, body: { account_id: 'wallet-a', amount: 400, currency: 'usd' } });
    expect(spend.status).toBe(201);
    expect(spend.body.entry).toMatchObject({ kind: 'spend', amount: -400, balance_after: 600 });

    const rowsBefore = await ledgerRowCount();
    const overdraw = await api(app, 'POST', '/v1/credits/spend', { key: app.keys.t1Member, body: { account_id: 'wallet-a', amount: 601, currency: 'usd' } });
    expect(overdraw.status).toBe(409);
    expect(overdraw.body).toMatchObject({ code: 'insufficient_balance', balance: 600, requested: 601 });
    expect(await ledgerRowCount()).toBe(rowsBefore);

    const balance = await api(app, 'GET', '/v1/credits/balance?account_id=wallet-a', { key: app.keys.t1Member });
    expect(balance.body).toEqual({ account_id: 'wallet-a', balances: [{ currency: 'usd', balance: 600 }] });
  });

  it('never lets concurrent spends take a balance below zero', async () => {
    await grant('wallet-race', 1000);
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        api(app, 'POST', '/v1/credits/spend', { key: app.keys.t1Admin, body: { account_id: 'wallet-race', amount: 300, currency: 'usd' } }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    expect(results.filter((r) => r.status === 409)).toHaveLength(5);
    const balance = await api(app, 'GET', '/v1/credits/balance?account_id=wallet-race', { key: app.keys.t1Admin });
    expect(balance.body.balances).toEqual([{ currency: 'usd', balance: 100 }]);
  });

  it('honours Idempotency-Key on spend and grant: a replay returns the original entry and moves nothing', async () => {
    await grant('wallet-idem', 500);
    const first = await api(app, 'POST', '/v1/credits/spend', {
      key: app.keys.t1Admin,
      body: { account_id: 'wallet-idem', amount: 200, currency: 'usd' },
      headers: { 'idempotency-key': 'spend-1' },
    });
    const replay = await api(app, 'POST', '/v1/credits/spend', {
      key: app.keys.t1Admin,
      body: { account_id: 'wallet-idem', amount: 200, currency: 'usd' },
      headers: { 'idempotency-key': 'spend-1' },
    });
    expect(first.status).toBe(201);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ entry: first.body.entry, replayed: true });
    const reused = await api(app, 'POST', '/v1/credits/spend', {
      key: app.keys.t1Admin,
      body: { account_id: 'wallet-idem', amount: 250, currency: 'usd' },
      headers: { 'idempotency-key': 'spend-1' },
    });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');

    expect((await grant('wallet-idem', 50, 'usd', 'grant-1')).status).toBe(201);
    expect((await grant('wallet-idem', 50, 'usd', 'grant-1')).status).toBe(200);
    const balance = await api(app, 'GET', '/v1/credits/balance?account_id=wallet-idem', { key: app.keys.t1Admin });
    expect(balance.body.balances).toEqual([{ currency: 'usd', balance: 350 }]);
  });

  it('answers a replayed spend with its original entry even when the balance no longer covers it', async () => {
    const spend = { tenantId: 't1', accountId: 'wallet-replay', currency: 'usd', kind: 'spend' as const, amount: -300, sourceKey: 'spend:replay-1' };
    await grant('wallet-replay', 500);
    const first = await appendLedgerEntry(app.db, spend);
    await appendLedgerEntry(app.db, { ...spend, amount: -150, sourceKey: 'spend:replay-2' });

    // Balance 50 now: inserting the replay again would overdraw, yet it is the same spend.
    const replay = await appendLedgerEntry(app.db, spend);
    expect(replay).toEqual({ entry: first.entry, created: false });
    const inTransaction = await app.db.transaction().execute((trx) => appendLedgerEntry(trx, spend));
    expect(inTransaction).toEqual({ entry: first.entry, created: false });
    await expect(appendLedgerEntry(app.db, { ...spend, amount: -10 })).rejects.toBeInstanceOf(SourceKeyConflictError);

    const balance = await api(app, 'GET', '/v1/credits/balance?account_id=wallet-replay', { key: app.keys.t1Admin });
    expect(balance.body.balances).toEqual([{ currency: 'usd', balance: 50 }]);
  });

  it('pages through the ledger with a cursor, newest first', async () => {
    for (let i = 1; i <= 5; i++) await grant('wallet-pages', i * 10);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await api(app, 'GET', `/v1/credits/ledger?account_id=wallet-pages&limit=2${cursor ? `&cursor=${cursor}` : ''}`, {
        key: app.keys.t1Admin,
      });
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((entry: { amount: number }) => entry.amount));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([50, 40, 30, 20, 10]);
  });

  it('keeps the ledger append-only in the database itself', async () => {
    await grant('wallet-audit', 10);
    // The app's role has no privilege to try (test/integration/least-privilege.test.ts); even the owner is stopped by the triggers.
    await expect(sql`update credit_ledger set amount = 999999`.execute(app.db)).rejects.toThrow(/permission denied/);
    const owner = createDb(app.ownerUrl, { max: 1 });
    try {
      await expect(sql`update credit_ledger set amount = 999999`.execute(owner)).rejects.toThrow(/append-only/);
      await expect(sql`delete from credit_ledger`.execute(owner)).rejects.toThrow(/append-only/);
      await expect(sql`truncate credit_ledger`.execute(owner)).rejects.toThrow(/append-only/);
      await expect(sql`update credit_balances set balance = -1`.execute(owner)).rejects.toThrow(/check constraint/);
    } finally {
      await owner.destroy();
    }
  });

  it("answers 404 for another tenant's top-up and never shows its balance", async () => {
    await app.db
      .insertInto('top_ups')
      .values({ tenant_id: 't1', id: 'tu_11111111111111111111111111111111', account_id: 'default', amount: 100, currency: 'usd', status: 'pending' })
      .execute();
    const own = await api(app, 'GET', '/v1/credits/top-ups/tu_11111111111111111111111111111111', { key: app.keys.t1Admin });
    const other = await api(app, 'GET', '/v1/credits/top-ups/tu_11111111111111111111111111111111', { key: app.keys.t2Admin });
    expect(own.status).toBe(200);
    expect(other.status).toBe(404);
    expect(other.body).toMatchObject({ code: 'not_found', status: 404 });
    expect(other.body).not.toHaveProperty('amount');
    const t2Balance = await api(app, 'GET', '/v1/credits/balance?account_id=wallet-a', { key: app.keys.t2Admin });
    expect(t2Balance.body.balances).toEqual([]);
  });

  it('maps JWT claims to tenant and user: users see only their own wallet and cannot do back-office writes', async () => {
    await grant('user-42', 70);
    const token = await new SignJWT({ tenant_id: 't1', role: 'member' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('user-42')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JWT_SECRET));
    const mine = await api(app, 'GET', '/v1/credits/balance', { key: token });
    expect(mine.body).toEqual({ account_id: 'user-42', balances: [{ currency: 'usd', balance: 70 }] });
    const someoneElse = await api(app, 'GET', '/v1/credits/balance?account_id=wallet-a', { key: token });
    expect(someoneElse.status).toBe(404);
    const invoice = await api(app, 'POST', '/v1/invoices', { key: token, body: { amount: 1000, currency: 'usd' } });
    expect(invoice.status).toBe(403);
    const refund = await api(app, 'POST', '/v1/payments/pi_123/refunds', { key: token, body: { reason: 'requested_by_customer' } });
    expect(refund.status).toBe(403);
    const forged = await new SignJWT({ tenant_id: 't1' }).setProtectedHeader({ alg: 'HS256' }).setSubject('user-42').sign(new TextEncoder().encode('wrong-secret-wrong-secret-wrong'));
    expect((await api(app, 'GET', '/v1/credits/balance', { key: forged })).status).toBe(401);
  });

  it('rejects bad input with problem details and writes nothing', async () => {
    const rowsBefore = await ledgerRowCount();
    const topUpsBefore = await app.db.selectFrom('top_ups').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();

    const unauthenticated = await api(app, 'GET', '/v1/credits/balance');
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.body.code).toBe('unauthenticated');
    expect((await api(app, 'GET', '/v1/credits/balance', { key: 'pk_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).status).toBe(401);

    const invalidJson = await api(app, 'POST', '/v1/credits/spend', { key: app.keys.t1Admin, rawBody: '{"amount": 1,' });
    expect(invalidJson.status).toBe(400);
    expect(invalidJson.body.code).toBe('invalid_json');

    const fractional = await api(app, 'POST', '/v1/credits/spend', { key: app.keys.t1Admin, body: { amount: 1.5, currency: 'usd' } });
    expect(fractional.status).toBe(400);
    expect(fractional.body.code).toBe('validation_failed');
    expect(fractional.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'body.amount' })]));

    const tooLarge = await api(app, 'POST', '/v1/credits/spend', {
      key: app.keys.t1Admin,
      body: { amount: 1, currency: 'usd', description: 'x'.repeat(200_000) },
    });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.code).toBe('payload_too_large');

    const belowMinimum = await api(app, 'POST', '/v1/credits/top-ups', {
      key: app.keys.t1Admin,
      body: { amount: 49, currency: 'usd' },
      headers: { origin: FRONTEND_ORIGIN },
    });
    expect(belowMinimum.status).toBe(400);
    expect(belowMinimum.body.errors[0]).toMatchObject({ field: 'body.amount', message: expect.stringContaining('at least 50') });

    const unsupported = await api(app, 'POST', '/v1/credits/top-ups', {
      key: app.keys.t1Admin,
      body: { amount: 5000, currency: 'xyz' },
      headers: { origin: FRONTEND_ORIGIN },
    });
    expect(unsupported.status).toBe(400);

    const badOrigin = await api(app, 'POST', '/v1/credits/top-ups', {
      key: app.keys.t1Admin,
      body: { amount: 5000, currency: 'usd' },
      headers: { origin: 'https://evil.example' },
    });
    expect(badOrigin.status).toBe(403);
    expect(badOrigin.body.code).toBe('origin_not_allowed');

    const unknownRoute = await api(app, 'GET', '/v1/nope', { key: app.keys.t1Admin });
    expect(unknownRoute.status).toBe(404);

    expect(await ledgerRowCount()).toBe(rowsBefore);
    const topUpsAfter = await app.db.selectFrom('top_ups').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(topUpsAfter.n).toBe(topUpsBefore.n);
  });

  it('serves health, readiness, version, security headers, request ids and an OpenAPI 3.1 document', async () => {
    expect((await api(app, 'GET', '/healthz')).status).toBe(200);
    const ready = await api(app, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ postgres: 'ok', temporal: 'ok' });
    expect((await api(app, 'GET', '/version')).body.version).toBe('0.1.0');

    const withId = await api(app, 'GET', '/healthz', { headers: { 'x-request-id': 'req-abc-123' } });
    expect(withId.headers.get('x-request-id')).toBe('req-abc-123');
    expect(withId.headers.get('x-content-type-options')).toBe('nosniff');
    const problem = await api(app, 'GET', '/v1/credits/balance');
    expect(problem.body.request_id).toBe(problem.headers.get('x-request-id'));

    const doc = await api(app, 'GET', '/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/v1/credits/top-ups', '/v1/credits/balance', '/v1/credits/ledger', '/v1/credits/spend', '/v1/credits/grants']),
    );
    expect(doc.body.paths['/v1/credits/top-ups'].post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CreateTopUp' });
    expect(doc.body.paths['/v1/credits/top-ups'].post.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.body.paths['/v1/connect/stripe/callback'].get.security).toEqual([]);
    const docs = await fetch(`${app.baseUrl}/docs`);
    expect(await docs.text()).toContain('/openapi.json');
  });

  it('rate-limits write routes per tenant with 429 and Retry-After', async () => {
    const limited = await createTestApp({ RATE_LIMIT_WRITES_PER_MINUTE: '3' });
    try {
      const statuses: number[] = [];
      let last: ApiResponse | undefined;
      for (let i = 0; i < 5; i++) {
        last = await api(limited, 'POST', '/v1/credits/spend', { key: limited.keys.t1Admin, body: { amount: 1, currency: 'usd' } });
        statuses.push(last.status);
      }
      expect(statuses.slice(0, 3)).toEqual([409, 409, 409]);
      expect(statuses.slice(3)).toEqual([429, 429]);
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(last!.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(last!.body.code).toBe('rate_limited');
      const otherTenant = await api(limited, 'POST', '/v1/credits/spend', { key: limited.keys.t2Admin, body: { amount: 1, currency: 'usd' } });
      expect(otherTenant.status).toBe(409);
    } finally {
      await limited.close();
    }
  });
});
