import { randomBytes } from 'node:crypto';
import proto from '@temporalio/proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, waitFor, type TestApp, useTestApp } from '../helpers/app-context.js';

/**
 * Workflow payloads are encrypted on the whole real stack (gateway client, worker, activities' client): what the
 * Temporal server stores holds no customer email, phone number or PaymentIntent client secret, and the gateway's
 * /codec endpoint (for the Temporal UI and CLI) gives admins the original JSON back.
 */
type IHistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
type JsonPayload = { metadata?: Record<string, string>; data?: string };

const UI_ORIGIN = 'http://localhost:8233';
let app: TestApp;
useTestApp((started) => (app = started));

const hex = () => randomBytes(6).toString('hex');
const b64 = (text: string) => Buffer.from(text).toString('base64');
const text = (base64: string | undefined) => Buffer.from(base64 ?? '', 'base64').toString('utf8');

/** The history exactly as the server stores it: straight from the workflow service, no data converter involved. */
async function rawHistoryEvents(workflowId: string): Promise<IHistoryEvent[]> {
  const events: IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await app.temporal.connection.workflowService.getWorkflowExecutionHistory({
      namespace: app.config.TEMPORAL_NAMESPACE,
      execution: { workflowId },
      nextPageToken,
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return events;
}

/**
 * The events' protobuf bytes, as persisted. Search attributes are left out: the server has to index them, so no
 * codec can encrypt them (see the README section on encrypted payloads); they are checked separately.
 */
function bytesWithoutSearchAttributes(events: IHistoryEvent[]): Buffer {
  const stripped = events.map((event) => {
    const copy = proto.temporal.api.history.v1.HistoryEvent.fromObject(proto.temporal.api.history.v1.HistoryEvent.toObject(event as never));
    if (copy.workflowExecutionStartedEventAttributes) copy.workflowExecutionStartedEventAttributes.searchAttributes = null;
    if (copy.upsertWorkflowSearchAttributesEventAttributes) copy.upsertWorkflowSearchAttributesEventAttributes.searchAttributes = null;
    return copy;
  });
  return Buffer.from(proto.temporal.api.history.v1.History.encode({ events: stripped }).finish());
}

function searchAttributeBytes(events: IHistoryEvent[]): Buffer {
  const fields = events.flatMap((event) => [
    event.workflowExecutionStartedEventAttributes?.searchAttributes,
    event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes,
  ]);
  return Buffer.concat(fields.flatMap((attributes) => (attributes ? [proto.temporal.api.common.v1.SearchAttributes.encode(attributes).finish()] : [])));
}

/**
 * Every payload of the history outside search attributes and patch markers, in the codec protocol's JSON form.
 * A `patched()` marker's details (the patch id) are written by the SDK's core, which never runs the codec; the
 * byte checks below still cover them.
 */
function payloadsOf(allEvents: IHistoryEvent[]): JsonPayload[] {
  const events = allEvents.filter((event) => event.markerRecordedEventAttributes?.markerName !== 'core_patch');
  const found: JsonPayload[] = [];
  const visit = (value: unknown, key?: string): void => {
    if (!value || typeof value !== 'object' || value instanceof Uint8Array || key === 'searchAttributes') return;
    const candidate = value as { metadata?: Record<string, Uint8Array>; data?: Uint8Array };
    if (candidate.metadata && typeof candidate.metadata === 'object' && 'encoding' in candidate.metadata) {
      found.push({
        metadata: Object.fromEntries(Object.entries(candidate.metadata).map(([name, bytes]) => [name, Buffer.from(bytes).toString('base64')])),
        ...(candidate.data ? { data: Buffer.from(candidate.data).toString('base64') } : {}),
      });
      return;
    }
    for (const [name, child] of Object.entries(value)) visit(child, name);
  };
  visit(events);
  return found;
}

const codec = (operation: 'decode' | 'encode', body: unknown, options: { key?: string; headers?: Record<string, string> } = {}) =>
  api(app, 'POST', `/codec/${operation}`, { body, ...options });

async function orderWithEmailAndSecret() {
  const orderId = `ord_${hex()}`;
  const email = `buyer-${hex()}@example.test`;
  const created = await api(app, 'POST', `/v1/orders/${orderId}/payment-intents`, {
    key: app.keys.t1Admin,
    body: { amount: 2500, currency: 'usd', receipt_email: email, description: 'Encrypted order' },
  });
  expect(created.status).toBe(201);
  const clientSecret = created.body.client_secret as string;
  expect(clientSecret).toMatch(/secret/);
  return { workflowId: `order:t1:${orderId}`, email, clientSecret };
}

describe('encrypted workflow payloads (real Temporal, worker and gateway)', () => {
  let order: Awaited<ReturnType<typeof orderWithEmailAndSecret>>;
  let events: IHistoryEvent[];

  beforeAll(async () => {
    order = await orderWithEmailAndSecret();
    events = await rawHistoryEvents(order.workflowId);
  });

  it('stores an order with a receipt email and its PaymentIntent client secret only as ciphertext', () => {
    const stored = bytesWithoutSearchAttributes(events);
    expect(stored.includes(order.clientSecret)).toBe(false);
    expect(stored.includes(order.email)).toBe(false);
    const payloads = payloadsOf(events);
    expect(payloads.length).toBeGreaterThan(2);
    for (const payload of payloads) {
      expect(text(payload.metadata?.encoding)).toBe('binary/encrypted');
      expect(text(payload.metadata?.['encryption-key-id'])).toBe('test-1');
    }
    // Search attributes are never encrypted: none may carry the client secret or the receipt email.
    expect(searchAttributeBytes(events).includes(order.clientSecret)).toBe(false);
    expect(searchAttributeBytes(events).includes(order.email)).toBe(false);
  });

  it('stores a recovery campaign without the customer email or phone number in clear', async () => {
    const reference = `enc-${hex()}`;
    const email = `ada-${hex()}@example.test`;
    const phone = `+1555${String(Date.now()).slice(-7)}`;
    const created = await api(app, 'POST', '/v1/recoveries', {
      key: app.keys.t1Admin,
      body: {
        transaction_reference: reference,
        amount: 4200,
        currency: 'USD',
        customer: { email, phone, time_zone: 'Europe/Berlin', id: `cust_${hex()}` },
        metadata: { order_number: 'A-1' },
      },
    });
    expect(created.status).toBe(201);
    const workflowId = `recovery:t1:txn:${reference}`;
    // Past the first workflow task, so activity inputs (which carry the contact details) are in the history too.
    const history = await waitFor(async () => {
      const found = await rawHistoryEvents(workflowId).catch(() => []);
      return found.some((event) => event.activityTaskScheduledEventAttributes) ? found : undefined;
    }, 'recovery workflow scheduling its first activity');
    const stored = Buffer.concat([bytesWithoutSearchAttributes(history), searchAttributeBytes(history)]);
    expect(stored.includes(email)).toBe(false);
    expect(stored.includes(phone)).toBe(false);
    const decoded = await codec('decode', { payloads: payloadsOf(history) }, { key: app.keys.t1Admin });
    expect(decoded.status).toBe(200);
    const plain = (decoded.body.payloads as JsonPayload[]).map((payload) => text(payload.data)).join('\n');
    expect(plain).toContain(email);
    expect(plain).toContain(phone);
  });

  it('decodes the stored payloads back to the original JSON for an admin over POST /codec/decode', async () => {
    const payloads = payloadsOf(events);
    const response = await codec('decode', { payloads }, { key: app.keys.t1Admin, headers: { 'x-namespace': app.config.TEMPORAL_NAMESPACE } });
    expect(response.status).toBe(200);
    const decoded = response.body.payloads as JsonPayload[];
    expect(decoded).toHaveLength(payloads.length);
    for (const payload of decoded) expect(['json/plain', 'binary/null']).toContain(text(payload.metadata?.encoding));
    const values = decoded.filter((payload) => text(payload.metadata?.encoding) === 'json/plain').map((payload) => JSON.parse(text(payload.data)) as unknown);
    expect(JSON.stringify(values)).toContain(JSON.stringify(order.email));
    expect(values).toEqual(expect.arrayContaining([expect.objectContaining({ clientSecret: order.clientSecret })]));
  });

  it('round-trips through /codec/encode, passes plain payloads through and rejects undecodable ones with 400', async () => {
    const plain = { metadata: { encoding: b64('json/plain') }, data: b64('{"hello":"world"}') };
    const encoded = await codec('encode', { payloads: [plain] }, { key: app.keys.t1Admin });
    expect(encoded.status).toBe(200);
    const [encrypted] = encoded.body.payloads as JsonPayload[];
    expect(text(encrypted!.metadata?.encoding)).toBe('binary/encrypted');
    expect(text(encrypted!.data)).not.toContain('hello');
    const decoded = await codec('decode', { payloads: [encrypted, plain] }, { key: app.keys.t1Admin });
    expect(decoded.body).toEqual({ payloads: [plain, plain] });

    const tamperedData = Buffer.from(encrypted!.data!, 'base64');
    tamperedData[15] = tamperedData[15]! ^ 0xff;
    const tampered = await codec('decode', { payloads: [{ ...encrypted, data: tamperedData.toString('base64') }] }, { key: app.keys.t1Admin });
    expect(tampered.status).toBe(400);
    expect(tampered.body.code).toBe('payload_not_decodable');
    const unknownKey = await codec('decode', { payloads: [{ ...encrypted, metadata: { ...encrypted!.metadata, 'encryption-key-id': b64('gone') } }] }, { key: app.keys.t1Admin });
    expect(unknownKey.status).toBe(400);
    expect(unknownKey.body.detail).toContain('key id "gone"');
    expect((await codec('decode', { payloads: 'nope' }, { key: app.keys.t1Admin })).status).toBe(400);
    expect((await codec('decode', { payloads: [] }, { key: app.keys.t1Admin, headers: { 'x-namespace': 'someone-else' } })).status).toBe(400);
  });

  it('answers 401 without or with an invalid credential and 403 for a member key', async () => {
    const body = { payloads: payloadsOf(events).slice(0, 1) };
    expect((await codec('decode', body)).status).toBe(401);
    expect((await codec('decode', body, { key: 'pk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).status).toBe(401);
    const member = await codec('decode', body, { key: app.keys.t1Member });
    expect(member.status).toBe(403);
    expect(JSON.stringify(member.body)).not.toContain(order.email);
    expect((await codec('encode', body, { key: app.keys.t1Member })).status).toBe(403);
  });

  it('allows CORS (with the preflight) for the Temporal UI origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${app.baseUrl}/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
      });
    const allowed = await preflight(UI_ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase().split(/,\s*/)).toEqual(expect.arrayContaining(['authorization', 'content-type', 'x-namespace']));
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');

    const other = await preflight('https://evil.example');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();

    const body = { payloads: payloadsOf(events).slice(0, 1) };
    const fromUi = await codec('decode', body, { key: app.keys.t1Admin, headers: { origin: UI_ORIGIN, 'x-namespace': app.config.TEMPORAL_NAMESPACE } });
    expect(fromUi.status).toBe(200);
    expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    // The UI must be able to read a refusal too (so it can show it), but another site gets nothing.
    const unauthenticatedFromUi = await codec('decode', body, { headers: { origin: UI_ORIGIN } });
    expect(unauthenticatedFromUi.status).toBe(401);
    expect(unauthenticatedFromUi.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    const fromOther = await codec('decode', body, { key: app.keys.t1Admin, headers: { origin: 'https://evil.example' } });
    expect(fromOther.status).toBe(403);
    expect(fromOther.headers.get('access-control-allow-origin')).toBeNull();
  });
});
