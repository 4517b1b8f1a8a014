/**
 * A recovery payment pays the item it chases, once, in the tenant's connected account. Real Temporal, PostgreSQL,
 * stripe-mock behind a counting proxy (method, path, Stripe-Account, idempotency key), a real SMTP listener and
 * Prism for SMS. For each kind of item: overdue or failed → campaign → the message's link is the item's own
 * instrument → a signed payment event → item paid, campaign paid, nothing sent after. A second payment for a
 * settled item is refunded by exactly one Stripe refund.
 *
 * stripe-mock keeps no state: the proxy lays over its invoice answers what Stripe would remember (status, hosted
 * page, contact), and echoes a session's requested expiry. Every request still goes to stripe-mock, which checks
 * its parameters against Stripe's API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvoiceTables } from '../../src/db/tables/invoices.js';
import { startRecoveryCampaign } from '../../src/recovery/start.js';
import { recoveryWorkflowId, subscriptionWorkflowId, transactionWorkflowId } from '../../src/temporal/workflow-ids.js';
import { transactionStateQuery } from '../../workflows/transaction/messages.js';
import { api, createTestApp, waitFor, type TestApp } from '../helpers/app-context.js';
import { startCapturingProxy, startSmtpListener, type CapturedRequest, type SmtpListener } from '../helpers/message-capture.js';
import { getStack } from '../helpers/stack.js';
import { deliverStripeEvent, stripeEvent, stripeFixture } from '../helpers/stripe-events.js';
import { startStripeProxy, type StripeCall, type StripeProxy } from '../helpers/stripe-proxy.js';
import { recordHistory } from '../helpers/temporal.js';

const ACCOUNT = 'acct_1RecoverySettleT1';
const PRICE_ID = stripeFixture('price').id as string;
const MONTH = 30 * 24 * 3600;

let app: TestApp;
let smtp: SmtpListener;
let twilio: { url: string; requests: CapturedRequest[]; stop(): Promise<void> };
let proxy: StripeProxy;
/** What Stripe would answer for GET /v1/invoices/:id, laid over stripe-mock's answer. */
const stripeInvoices = new Map<string, Record<string, unknown>>();

const mailsTo = (address: string) => smtp.mails.filter((mail) => JSON.stringify(mail.to).includes(address));
const smsTo = (phone: string) => twilio.requests.filter((request) => request.method === 'POST' && request.form.To === phone);
const nowSeconds = () => Math.floor(Date.now() / 1000);
const callsSince = (from: number) => proxy.calls.slice(from);
const posts = (calls: StripeCall[], path: string | RegExp) =>
  calls.filter((call) => call.method === 'POST' && (typeof path === 'string' ? call.path === path : path.test(call.path)));

const deliver = (event: Record<string, unknown>) => deliverStripeEvent(app, event);

/** A signed event from the tenant's connected account. */
const fromAccount = (type: string, object: Record<string, unknown>, overrides: Record<string, unknown> = {}) =>
  stripeEvent(type, object, { account: ACCOUNT, ...overrides });

async function campaignClosed(id: string) {
  const handle = app.temporal.workflow.getHandle(recoveryWorkflowId('t1', id));
  return waitFor(async () => ((await handle.describe()).status.name === 'COMPLETED' ? handle.result() : undefined), `campaign ${id} to finish`);
}

function checkoutSession(overrides: Record<string, unknown>) {
  return { ...stripeFixture('checkout.session'), status: 'complete', payment_status: 'paid', currency: 'usd', customer_details: null, ...overrides };
}

beforeAll(async () => {
  smtp = await startSmtpListener();
  twilio = await startCapturingProxy(getStack().twilioApiUrl);
  proxy = await startStripeProxy();
  proxy.patches.push((call) => {
    const invoice = /^\/v1\/invoices\/(in_[A-Za-z0-9_]+)$/.exec(call.path);
    if (call.method === 'GET' && invoice) return stripeInvoices.get(invoice[1]!);
    if (call.method === 'POST' && call.path === '/v1/checkout/sessions') {
      return { expires_at: Number(call.form.expires_at), metadata: {}, status: 'open', payment_status: 'unpaid' };
    }
    return undefined;
  });
  app = await createTestApp({ ...proxy.env, SMTP_URL: smtp.url, TWILIO_API_BASE_URL: twilio.url });
  await app.db.updateTable('tenants').set({ stripe_account_id: ACCOUNT }).where('id', '=', 't1').execute();
  // First step at once on both channels; the next an hour later by email, so a message after a payment would show.
  const schedule = {
    steps: [
      { offset_minutes: 0, channels: ['email', 'sms'] },
      { offset_minutes: 60, channels: ['email'] },
    ],
    quiet_hours: null,
    max_attempts: 5,
    expiry_days: 14,
  };
  expect((await api(app, 'PUT', '/v1/admin/recovery-schedule', { key: app.keys.t1Admin, body: schedule })).status).toBe(200);
  await app.startWorker();
});

afterAll(async () => {
  await app?.close();
  await proxy?.close();
  await twilio?.stop();
  await smtp?.stop();
});

describe('recovery settles the item it chases', () => {
  it('Stripe invoice: the message carries its hosted page, paying it settles the invoice and ends the campaign; no Checkout Session', async () => {
    const from = proxy.calls.length;
    const hosted = 'https://invoice.stripe.com/i/acct_1RecoverySettleT1/test_in_settle_1';
    const invoice = (status: 'open' | 'paid') => ({
      ...stripeFixture('invoice'),
      id: 'in_settle_1',
      status,
      customer: 'cus_settle_1',
      customer_email: 'grace.settle@example.com',
      customer_phone: '+15005550001',
      customer_name: 'Grace Hopper',
      amount_due: 4200,
      amount_paid: status === 'paid' ? 4200 : 0,
      amount_remaining: status === 'paid' ? 0 : 4200,
      currency: 'usd',
      hosted_invoice_url: hosted,
      next_payment_attempt: null,
      due_date: nowSeconds() + 7 * 86400,
      metadata: {},
      parent: null,
      status_transitions: { finalized_at: nowSeconds() - 60, paid_at: status === 'paid' ? nowSeconds() : null, voided_at: null, marked_uncollectible_at: null },
    });
    stripeInvoices.set('in_settle_1', invoice('open'));
    await deliver(fromAccount('invoice.finalized', invoice('open')));
    await deliver(fromAccount('invoice.payment_failed', { ...invoice('open'), attempt_count: 1 }));

    const [email] = await waitFor(async () => (mailsTo('grace.settle@example.com').length > 0 ? mailsTo('grace.settle@example.com') : undefined), 'the email');
    const [sms] = await waitFor(async () => (smsTo('+15005550001').length > 0 ? smsTo('+15005550001') : undefined), 'the SMS');
    expect(email!.subject).toBe('Payment of 42.00 USD to Tenant one is due');
    expect(email!.text).toContain(hosted);
    expect(email!.html).toContain(hosted);
    expect(email!.text).toContain('42.00 USD');
    expect(sms!.form.Body).toContain(hosted);
    expect(sms!.form.From ?? sms!.form.MessagingServiceSid).toBe(app.config.TWILIO_MESSAGING_SERVICE_SID ?? app.config.TWILIO_FROM_NUMBER);
    const running = await api(app, 'GET', '/v1/recoveries/invoice:in_settle_1', { key: app.keys.t1Admin });
    expect(running.body).toMatchObject({ status: 'active', item_kind: 'invoice', amount: 4200, customer: { email: 'grace.settle@example.com', phone: '+15005550001' } });

    stripeInvoices.set('in_settle_1', invoice('paid'));
    await deliver(fromAccount('invoice.paid', invoice('paid'), { created: nowSeconds() + 1 }));
    const state = await campaignClosed('invoice:in_settle_1');
    expect(state).toMatchObject({ status: 'paid', paidVia: 'invoice' });
    const description = await app.temporal.workflow.getHandle(recoveryWorkflowId('t1', 'invoice:in_settle_1')).describe();
    expect(description.searchAttributes).toMatchObject({ TenantId: ['t1'], CampaignStatus: ['paid'] });
    const detail = await api(app, 'GET', '/v1/invoices/in_settle_1', { key: app.keys.t1Admin });
    expect(detail.body).toMatchObject({ status: 'paid' });

    const calls = callsSince(from);
    expect(posts(calls, '/v1/checkout/sessions')).toEqual([]);
    expect(calls.some((call) => call.method === 'GET' && call.path === '/v1/invoices/in_settle_1')).toBe(true);
    expect(calls.every((call) => call.account === ACCOUNT)).toBe(true);
    expect(mailsTo('grace.settle@example.com')).toHaveLength(1);
    expect(smsTo('+15005550001')).toHaveLength(1);
  });

  it('subscription invoice: paying its hosted page ends the campaign, the subscription is active again and the cycle credits come once', async () => {
    const from = proxy.calls.length;
    const subscriptionId = 'sub_settle_1';
    const hosted = 'https://invoice.stripe.com/i/acct_1RecoverySettleT1/test_in_sub_settle_1';
    expect((await api(app, 'PUT', `/v1/admin/prices/${PRICE_ID}/credits`, { key: app.keys.t1Admin, body: { credits_per_cycle: 500 } })).status).toBe(200);
    const balance = async () =>
      (await api(app, 'GET', '/v1/credits/balance', { key: app.keys.t1Admin })).body.balances.find((row: { currency: string }) => row.currency === 'usd')?.balance ?? 0;
    const before = await balance();

    const fixture = stripeFixture('subscription');
    const start = nowSeconds();
    const item = { ...fixture.items.data[0], subscription: subscriptionId, price: { ...stripeFixture('price'), id: PRICE_ID }, current_period_start: start, current_period_end: start + MONTH };
    const subscription = {
      ...fixture,
      id: subscriptionId,
      status: 'active',
      cancel_at_period_end: false,
      canceled_at: null,
      ended_at: null,
      customer: 'cus_sub_settle',
      metadata: { tenant_id: 't1', account_id: 'default', price_id: PRICE_ID },
      items: { ...fixture.items, data: [item] },
    };
    const invoice = (status: 'open' | 'paid') => {
      const base = stripeFixture('invoice');
      const line = {
        ...base.lines.data[0],
        invoice: 'in_sub_settle_1',
        amount: 2000,
        period: { start, end: start + MONTH },
        pricing: { type: 'price_details', price_details: { price: PRICE_ID, product: stripeFixture('product').id }, unit_amount_decimal: '2000' },
      };
      return {
        ...base,
        id: 'in_sub_settle_1',
        status,
        amount_due: 2000,
        amount_paid: status === 'paid' ? 2000 : 0,
        amount_remaining: status === 'paid' ? 0 : 2000,
        currency: 'usd',
        customer: 'cus_sub_settle',
        customer_email: 'ada.sub@example.com',
        customer_phone: null,
        customer_name: 'Ada',
        hosted_invoice_url: hosted,
        next_payment_attempt: null,
        billing_reason: 'subscription_create',
        attempt_count: 1,
        lines: { ...base.lines, data: [line] },
        parent: {
          type: 'subscription_details',
          quote_details: null,
          subscription_details: { subscription: subscriptionId, metadata: { tenant_id: 't1', account_id: 'default' } },
        },
        status_transitions: { finalized_at: start - 60, paid_at: status === 'paid' ? nowSeconds() : null, voided_at: null, marked_uncollectible_at: null },
      };
    };
    stripeInvoices.set('in_sub_settle_1', invoice('open'));
    await deliver(fromAccount('customer.subscription.created', subscription));
    await deliver(fromAccount('invoice.payment_failed', invoice('open')));

    const [email] = await waitFor(async () => (mailsTo('ada.sub@example.com').length > 0 ? mailsTo('ada.sub@example.com') : undefined), 'the email');
    expect(email!.text).toContain(hosted);
    const pastDue = await api(app, 'GET', `/v1/subscriptions/${subscriptionId}`, { key: app.keys.t1Admin });
    expect(pastDue.body.status).toBe('past_due');

    stripeInvoices.set('in_sub_settle_1', invoice('paid'));
    await deliver(fromAccount('invoice.paid', invoice('paid'), { created: nowSeconds() + 1 }));
    await deliver(fromAccount('invoice.payment_succeeded', invoice('paid'), { created: nowSeconds() + 1 }));
    await deliver(fromAccount('customer.subscription.updated', subscription, { created: nowSeconds() + 2 }));

    const state = await campaignClosed('subscription_invoice:in_sub_settle_1');
    expect(state.status).toBe('paid');
    const detail = await waitFor(async () => {
      const response = await api(app, 'GET', `/v1/subscriptions/${subscriptionId}`, { key: app.keys.t1Admin });
      return response.body.status === 'active' && response.body.cycles === 1 ? response.body : undefined;
    }, 'the subscription to be active with one paid cycle');
    expect(detail.credits_granted).toBe(500);
    expect(await balance()).toBe(before + 500);
    const workflow = app.temporal.workflow.getHandle(subscriptionWorkflowId('t1', subscriptionId));
    expect((await workflow.describe()).status.name).toBe('RUNNING');

    const calls = callsSince(from);
    expect(posts(calls, '/v1/checkout/sessions')).toEqual([]);
    expect(calls.every((call) => call.account === ACCOUNT)).toBe(true);
    expect(mailsTo('ada.sub@example.com')).toHaveLength(1);
  });

  it('manual invoice: its one-payment link is sent, paying it settles the invoice; a second payment is refunded exactly once', async () => {
    const from = proxy.calls.length;
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const created = await api(app, 'POST', '/v1/invoices', {
      key: app.keys.t1Admin,
      body: { client: { email: 'manual.settle@example.com', name: 'Manual' }, amount: 3000, currency: 'usd', due_date: yesterday, memo: 'Consulting' },
    });
    expect(created.status).toBe(201);
    const invoiceId = created.body.id as string;

    const [email] = await waitFor(async () => (mailsTo('manual.settle@example.com').length > 0 ? mailsTo('manual.settle@example.com') : undefined), 'the email');
    const invoice = await api(app, 'GET', `/v1/invoices/${invoiceId}`, { key: app.keys.t1Admin });
    const [linkCreate] = posts(callsSince(from), '/v1/payment_links');
    const stored = await app.db.withTables<InvoiceTables>().selectFrom('invoices').select(['payment_link_id', 'payment_link_url']).where('id', '=', invoiceId).executeTakeFirstOrThrow();
    const link = { id: stored.payment_link_id!, url: stored.payment_link_url! };
    expect(invoice.body.payment_link_url).toBe(link.url);
    expect(email!.text).toContain(link.url);
    expect(linkCreate!.form['restrictions[completed_sessions][limit]']).toBe('1');
    expect(linkCreate!.form['metadata[invoice_id]']).toBe(invoiceId);

    const paid = (id: string, paymentIntent: string) =>
      fromAccount(
        'checkout.session.completed',
        checkoutSession({ id, payment_intent: paymentIntent, payment_link: link.id, amount_total: 3000, metadata: { purpose: 'invoice', tenant_id: 't1', invoice_id: invoiceId } }),
      );
    await deliver(paid('cs_manual_settle_1', 'pi_manual_settle_1'));
    const state = await campaignClosed(`invoice:${invoiceId}`);
    expect(state.status).toBe('paid');
    await waitFor(
      async () => (posts(callsSince(from), `/v1/payment_links/${link.id}`).some((call) => call.form.active === 'false') ? true : undefined),
      'the link to be deactivated',
    );

    // The same link paid again (or another session): the money goes back, once, however often it is reported.
    await deliver(paid('cs_manual_settle_2', 'pi_manual_settle_2'));
    await deliver(paid('cs_manual_settle_2', 'pi_manual_settle_2'));
    const refunds = await waitFor(async () => {
      const found = posts(callsSince(from), '/v1/refunds');
      return found.length > 0 ? found : undefined;
    }, 'the refund');
    const listed = await waitFor(async () => {
      const response = await api(app, 'GET', '/v1/admin/excess-payments', { key: app.keys.t1Admin });
      const entry = response.body.data.find((row: { payment_intent_id: string }) => row.payment_intent_id === 'pi_manual_settle_2');
      return entry?.refund_id ? entry : undefined;
    }, 'the excess payment to be listed with its refund');
    expect(listed).toMatchObject({ item: { kind: 'invoice', ref: invoiceId }, amount: 3000, currency: 'usd', refund_status: 'succeeded' });
    const shown = await api(app, 'GET', `/v1/invoices/${invoiceId}`, { key: app.keys.t1Admin });
    expect(shown.body).toMatchObject({ status: 'paid', excess_payments: [expect.objectContaining({ payment_intent_id: 'pi_manual_settle_2', refund_status: 'succeeded' })] });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const allRefunds = posts(callsSince(from), '/v1/refunds');
    expect(allRefunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ account: ACCOUNT, idempotencyKey: 'excess-refund:t1:pi_manual_settle_2' });
    expect(refunds[0]!.form.payment_intent).toBe('pi_manual_settle_2');
    expect(callsSince(from).every((call) => call.account === ACCOUNT)).toBe(true);
    expect(mailsTo('manual.settle@example.com')).toHaveLength(1);
  });

  it('transaction: one Payment Link for every step and the seed API; paying settles it and stops the campaign; a second payment is refunded', async () => {
    const from = proxy.calls.length;
    const ref = 'seed-txn-778';
    const started = await api(app, 'POST', '/v1/recoveries', {
      key: app.keys.t1Admin,
      body: { transaction_reference: ref, amount: 1500, currency: 'usd', customer: { email: 'txn.settle@example.com', phone: '+15005550002' } },
    });
    expect(started.status).toBe(201);
    const [first] = await waitFor(async () => (mailsTo('txn.settle@example.com').length > 0 ? mailsTo('txn.settle@example.com') : undefined), 'the first email');
    await waitFor(async () => (smsTo('+15005550002').length > 0 ? true : undefined), 'the SMS');
    const sendNow = await api(app, 'POST', `/v1/recoveries/txn:${ref}/send-now`, { key: app.keys.t1Admin, body: {} });
    expect(sendNow.status).toBe(200);
    const mails = await waitFor(async () => (mailsTo('txn.settle@example.com').length === 2 ? mailsTo('txn.settle@example.com') : undefined), 'the second email');

    const txn = await api(app, 'GET', `/v1/transactions/${ref}`, { key: app.keys.t1Admin });
    expect(txn.status).toBe(200);
    const linkUrl = txn.body.payment_link_url as string;
    expect(linkUrl).toBe(stripeFixture('payment_link').url);
    for (const mail of mails) expect(mail.text).toContain(linkUrl);
    expect(first!.text).toContain(linkUrl);
    expect(smsTo('+15005550002')[0]!.form.Body).toContain(linkUrl);
    const linkCreates = posts(callsSince(from), '/v1/payment_links');
    expect(linkCreates).toHaveLength(1);
    expect(linkCreates[0]!.form).toMatchObject({
      'restrictions[completed_sessions][limit]': '1',
      'metadata[purpose]': 'transaction',
      'metadata[tenant_id]': 't1',
      'metadata[transaction_ref]': ref,
    });
    expect(linkCreates[0]!.form['after_completion[redirect][url]']).toContain('/pay/return?tenant=t1&session_id={CHECKOUT_SESSION_ID}');

    // The seed system's API reuses the same link and keeps one open Checkout Session.
    const link = await api(app, 'POST', '/v1/payment-links', { key: app.keys.t1Admin, body: { transaction_ref: ref, amount: 1500, currency: 'usd' } });
    expect(link.status).toBe(201);
    expect(link.body.url).toBe(linkUrl);
    const session = await api(app, 'POST', '/v1/checkout-sessions', {
      key: app.keys.t1Admin,
      body: { transaction_ref: ref, amount: 1500, currency: 'usd', customer_email: 'txn.settle@example.com' },
    });
    expect(session.status).toBe(201);
    expect(session.body).toMatchObject({ session_id: expect.stringMatching(/^cs_/), checkout_url: expect.stringMatching(/^https:/) });
    expect(Date.parse(session.body.expires_at) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    const again = await api(app, 'POST', '/v1/checkout-sessions', { key: app.keys.t1Admin, body: { transaction_ref: ref, amount: 1500, currency: 'usd' } });
    expect(again.body.session_id).toBe(session.body.session_id);
    expect(posts(callsSince(from), '/v1/checkout/sessions')).toHaveLength(1);
    const mismatch = await api(app, 'POST', '/v1/checkout-sessions', { key: app.keys.t1Admin, body: { transaction_ref: ref, amount: 999, currency: 'usd' } });
    expect(mismatch.status).toBe(409);
    expect(mismatch.body.code).toBe('transaction_mismatch');
    const status = await api(app, 'GET', `/v1/checkout-sessions/${session.body.session_id}/status`, { key: app.keys.t1Admin });
    expect(status.status).toBe(200);
    expect(status.body.session_id).toBe(session.body.session_id);
    expect((await api(app, 'GET', `/v1/checkout-sessions/${session.body.session_id}/status`, { key: app.keys.t2Admin })).status).toBe(404);
    expect((await api(app, 'GET', `/v1/transactions/${ref}`, { key: app.keys.t2Admin })).status).toBe(404);

    // Where the customer lands after paying answers 200 (the gateway's own page: no tenant pages, no frontend).
    const sessionCreate = posts(callsSince(from), '/v1/checkout/sessions')[0]!;
    const landing = new URL(sessionCreate.form.success_url!.replace('{CHECKOUT_SESSION_ID}', session.body.session_id));
    const page = await fetch(`${app.baseUrl}${landing.pathname}${landing.search}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const cancelled = new URL(sessionCreate.form.cancel_url!);
    expect((await fetch(`${app.baseUrl}${cancelled.pathname}${cancelled.search}`)).status).toBe(200);

    // A declined card on the open session is recorded on the transaction and changes nothing else.
    await deliver(
      fromAccount('payment_intent.payment_failed', {
        ...stripeFixture('payment_intent'),
        id: 'pi_txn_declined',
        status: 'requires_payment_method',
        amount: 1500,
        amount_received: 0,
        currency: 'usd',
        last_payment_error: { message: 'Your card was declined.' },
        metadata: { purpose: 'transaction', tenant_id: 't1', transaction_ref: ref },
      }),
    );
    const declined = await waitFor(async () => {
      const response = await api(app, 'GET', `/v1/transactions/${ref}`, { key: app.keys.t1Admin });
      return response.body.payments.length === 1 ? response.body : undefined;
    }, 'the failed payment to be recorded');
    expect(declined).toMatchObject({ status: 'open', payments: [expect.objectContaining({ payment_intent_id: 'pi_txn_declined', status: 'failed', settled_transaction: false })] });

    // Paid through the link: the transaction settles, the campaign ends, the link stops taking payments.
    const payingAt = Date.now();
    await deliver(
      fromAccount(
        'checkout.session.completed',
        checkoutSession({ id: 'cs_txn_link_paid', payment_intent: 'pi_txn_settle_1', amount_total: 1500, metadata: { purpose: 'transaction', tenant_id: 't1', transaction_ref: ref } }),
      ),
    );
    const state = await campaignClosed(`txn:${ref}`);
    expect(state).toMatchObject({ status: 'paid', recoveredAmount: 1500 });
    // Paid when the transaction settled, not when the campaign last looked at its clock.
    expect(state.paidAtMs).toBeGreaterThanOrEqual(payingAt - 1000);
    const settled = await waitFor(async () => {
      const response = await api(app, 'GET', `/v1/transactions/${ref}`, { key: app.keys.t1Admin });
      return response.body.status === 'paid' ? response.body : undefined;
    }, 'the transaction to be paid');
    expect(settled.payments).toEqual([
      expect.objectContaining({ payment_intent_id: 'pi_txn_declined', status: 'failed' }),
      expect.objectContaining({ payment_intent_id: 'pi_txn_settle_1', status: 'succeeded', settled_transaction: true, refund: null }),
    ]);
    await waitFor(
      async () => (posts(callsSince(from), /^\/v1\/payment_links\/plink_/).some((call) => call.form.active === 'false') ? true : undefined),
      'the link to be deactivated',
    );
    const paidAgain = await api(app, 'POST', '/v1/checkout-sessions', { key: app.keys.t1Admin, body: { transaction_ref: ref, amount: 1500, currency: 'usd' } });
    expect(paidAgain.status).toBe(409);
    expect(paidAgain.body.code).toBe('transaction_paid');

    // The open session paid as well: refunded once; the first payment's own PaymentIntent event changes nothing.
    await deliver(
      fromAccount(
        'checkout.session.completed',
        checkoutSession({ id: session.body.session_id, payment_intent: 'pi_txn_settle_2', amount_total: 1500, metadata: { purpose: 'transaction', tenant_id: 't1', transaction_ref: ref } }),
      ),
    );
    await deliver(
      fromAccount('payment_intent.succeeded', {
        ...stripeFixture('payment_intent'),
        id: 'pi_txn_settle_1',
        status: 'succeeded',
        amount: 1500,
        amount_received: 1500,
        currency: 'usd',
        metadata: { purpose: 'transaction', tenant_id: 't1', transaction_ref: ref },
      }),
    );
    const withRefund = await waitFor(async () => {
      const response = await api(app, 'GET', `/v1/transactions/${ref}`, { key: app.keys.t1Admin });
      // The detail reads its parts in parallel: wait until one answer shows both the payment and its refund.
      const { payments, excess_payments: excess } = response.body;
      return payments.length === 3 && excess.length === 1 && excess[0].refund_id ? response.body : undefined;
    }, 'the excess payment and its refund');
    expect(withRefund.excess_payments[0]).toMatchObject({ payment_intent_id: 'pi_txn_settle_2', amount: 1500, refund_status: 'succeeded' });
    expect(withRefund.recovery_campaign_id).toBe(`txn:${ref}`);
    const refunds = posts(callsSince(from), '/v1/refunds');
    expect(refunds).toHaveLength(1);
    expect(refunds[0]!.form.payment_intent).toBe('pi_txn_settle_2');

    // This tenant refunded nothing else: its refunds are exactly the excess payments Stripe confirmed refunded.
    const summary = await api(app, 'GET', '/v1/admin/financial-summary', { key: app.keys.t1Admin });
    const usd = summary.body.currencies.find((row: { currency: string }) => row.currency === 'usd');
    const excess = (await api(app, 'GET', '/v1/admin/excess-payments', { key: app.keys.t1Admin })).body.data as Array<{ amount: number; refund_status: string }>;
    expect(excess.length).toBeGreaterThanOrEqual(2);
    expect(usd.refunds).toBe(excess.filter((row) => row.refund_status === 'succeeded').reduce((sum, row) => sum + row.amount, 0));

    expect(callsSince(from).every((call) => call.account === ACCOUNT)).toBe(true);
    expect(mailsTo('txn.settle@example.com')).toHaveLength(2);
    const transaction = await app.temporal.workflow.getHandle(transactionWorkflowId('t1', ref)).query(transactionStateQuery);
    expect(transaction.eventLog.map((entry) => entry.outcome)).toEqual(['failed', 'settled by pi_txn_settle_1', `excess: refunded ${withRefund.excess_payments[0].refund_id}`, 'duplicate']);
    await recordHistory(app.temporal, transactionWorkflowId('t1', ref), 'transaction-settled-then-excess-refunded.json');
  });

  it('transaction: a campaign that ends unpaid switches the link off; the seed API switches the same link on again', async () => {
    const from = proxy.calls.length;
    const ref = 'seed-txn-cancelled';
    const started = await api(app, 'POST', '/v1/recoveries', {
      key: app.keys.t1Admin,
      body: { transaction_reference: ref, amount: 900, currency: 'usd', customer: { email: 'txn.cancelled@example.com' } },
    });
    expect(started.status).toBe(201);
    await waitFor(async () => (mailsTo('txn.cancelled@example.com').length > 0 ? true : undefined), 'the email');
    const { payment_link_url: url } = (await api(app, 'GET', `/v1/transactions/${ref}`, { key: app.keys.t1Admin })).body;
    expect((await api(app, 'POST', `/v1/recoveries/txn:${ref}/cancel`, { key: app.keys.t1Admin, body: { reason: 'test' } })).status).toBe(200);
    const switchedOff = await waitFor(
      async () => posts(callsSince(from), /^\/v1\/payment_links\/plink_/).find((call) => call.form.active === 'false'),
      'the link to be switched off',
    );
    const again = await api(app, 'POST', '/v1/payment-links', { key: app.keys.t1Admin, body: { transaction_ref: ref, amount: 900, currency: 'usd' } });
    expect(again.status).toBe(201);
    expect(again.body.url).toBe(url);
    const updates = posts(callsSince(from), switchedOff.path).map((call) => call.form.active);
    expect(updates).toEqual(['false', 'true']);
    expect(posts(callsSince(from), '/v1/payment_links')).toHaveLength(1);
  });

  it('order: the order workflow makes the instrument, a payment through it is the order\'s paid attempt and ends the campaign', async () => {
    const from = proxy.calls.length;
    const orderId = 'ord_settle_1';
    const created = await api(app, 'POST', `/v1/orders/${orderId}/payment-intents`, {
      key: app.keys.t1Admin,
      body: { amount: 2500, currency: 'usd', receipt_email: 'order.settle@example.com' },
    });
    expect(created.status).toBe(201);
    // Nothing in the product starts order campaigns yet; the library call is what a future trigger would use.
    const started = await startRecoveryCampaign(
      app.temporal,
      { taskQueue: app.config.TEMPORAL_TASK_QUEUE, retry: { intervalsMs: [1000, 2000, 5000] }, successUrl: 'unused' },
      { tenantId: 't1', item: { kind: 'order', ref: orderId }, amount: 2500, currency: 'usd', customer: { email: 'order.settle@example.com' } },
    );
    expect(started.outcome).toBe('running');
    const [email] = await waitFor(async () => (mailsTo('order.settle@example.com').length > 0 ? mailsTo('order.settle@example.com') : undefined), 'the email');
    const [sessionCreate] = posts(callsSince(from), '/v1/checkout/sessions');
    expect(sessionCreate!.form).toMatchObject({
      'payment_intent_data[metadata][purpose]': 'order',
      'payment_intent_data[metadata][order_id]': orderId,
      'payment_intent_data[metadata][attempt]': '2',
    });
    expect(sessionCreate!.form.success_url).toContain('/pay/return?tenant=t1&session_id={CHECKOUT_SESSION_ID}');
    const order = await api(app, 'GET', `/v1/orders/${orderId}`, { key: app.keys.t1Admin });
    const checkoutId = (order.body.attempts as Array<{ attempt: number; payment_intent_id: string }>).find((attempt) => attempt.attempt === 2)!.payment_intent_id.replace('pending:', '');
    expect(email!.text).toMatch(/https:\/\/checkout\.stripe\.com\/\S+/);

    await deliver(
      fromAccount('payment_intent.succeeded', {
        ...stripeFixture('payment_intent'),
        id: 'pi_order_settle_1',
        status: 'succeeded',
        amount: 2500,
        amount_received: 2500,
        currency: 'usd',
        metadata: { purpose: 'order', tenant_id: 't1', order_id: orderId, attempt: '2' },
      }),
    );
    const state = await campaignClosed(`order:${orderId}`);
    expect(state).toMatchObject({ status: 'paid', paidVia: 'order', recoveredAmount: 2500 });
    const paid = await api(app, 'GET', `/v1/orders/${orderId}`, { key: app.keys.t1Admin });
    expect(paid.body).toMatchObject({ status: 'paid', payment_id: 'pi_order_settle_1', captured_amount: 2500 });
    expect(checkoutId).toMatch(/^cs_/);
    expect(callsSince(from).every((call) => call.account === ACCOUNT)).toBe(true);
    expect(mailsTo('order.settle@example.com')).toHaveLength(1);
  });

  it('a parallel recovery Checkout charge from an older campaign is refunded where it was taken, and the campaign keeps chasing the invoice', async () => {
    const from = proxy.calls.length;
    // Older campaigns created these sessions in the platform account, whatever the tenant's account: no `account`.
    const legacy = () =>
      stripeEvent(
        'checkout.session.completed',
        checkoutSession({
          id: 'cs_legacy_recovery',
          payment_intent: 'pi_legacy_recovery',
          amount_total: 4200,
          metadata: { purpose: 'recovery', tenant_id: 't1', campaign_id: 'invoice:in_legacy', item_kind: 'invoice', item_ref: 'in_legacy', step: '1' },
        }),
      );
    await deliver(legacy());
    const refund = await waitFor(async () => posts(callsSince(from), '/v1/refunds')[0], 'the refund');
    expect(refund).toMatchObject({ account: undefined, idempotencyKey: 'excess-refund:t1:pi_legacy_recovery' });
    await deliver(legacy());
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(posts(callsSince(from), '/v1/refunds')).toHaveLength(1);
  });
});
