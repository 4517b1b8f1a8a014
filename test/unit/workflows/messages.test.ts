import type { WorkflowClient } from '@temporalio/client';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { OrderStripeEvent } from '../../../src/domain/order/contracts.js';
import * as excessPayment from '../../../workflows/excess-payment/messages.js';
import * as invoiceImport from '../../../workflows/invoice-import/messages.js';
import * as invoice from '../../../workflows/invoice/messages.js';
import * as order from '../../../workflows/order/messages.js';
import * as recovery from '../../../workflows/recovery/messages.js';
import * as subscription from '../../../workflows/subscription/messages.js';
import * as topUp from '../../../workflows/top-up/messages.js';
import * as transaction from '../../../workflows/transaction/messages.js';
import * as bundle from '../../../workflows/index.js';

describe('workflow messages', () => {
  it('name each workflow type as the worker bundle exports it', () => {
    expect({
      [order.ORDER_WORKFLOW_TYPE]: bundle.orderWorkflow,
      [recovery.RECOVERY_WORKFLOW_TYPE]: bundle.recoveryWorkflow,
      [invoice.INVOICE_WORKFLOW_TYPE]: bundle.invoiceWorkflow,
      [subscription.SUBSCRIPTION_WORKFLOW_TYPE]: bundle.subscriptionWorkflow,
      [topUp.TOP_UP_WORKFLOW_TYPE]: bundle.topUpWorkflow,
      [transaction.TRANSACTION_WORKFLOW_TYPE]: bundle.transactionWorkflow,
      [excessPayment.EXCESS_PAYMENT_WORKFLOW_TYPE]: bundle.excessPaymentWorkflow,
      [invoiceImport.INVOICE_IMPORT_WORKFLOW_TYPE]: bundle.invoiceImportWorkflow,
    }).toEqual({
      orderWorkflow: bundle.orderWorkflow,
      recoveryWorkflow: bundle.recoveryWorkflow,
      invoiceWorkflow: bundle.invoiceWorkflow,
      subscriptionWorkflow: bundle.subscriptionWorkflow,
      topUpWorkflow: bundle.topUpWorkflow,
      transactionWorkflow: bundle.transactionWorkflow,
      excessPaymentWorkflow: bundle.excessPaymentWorkflow,
      invoiceImportWorkflow: bundle.invoiceImportWorkflow,
    });
    for (const [type, fn] of Object.entries(bundle)) expect(fn.name).toBe(type);
  });

  it('keep the signal, update and query names recorded in histories', () => {
    expect([order.orderStripeEventSignal, order.createPaymentIntentUpdate, order.confirmPaymentUpdate, order.refundUpdate, order.openRecoveryCheckoutUpdate, order.orderStateQuery].map((d) => d.name)).toEqual([
      'stripeEvent',
      'createPaymentIntent',
      'confirmPayment',
      'refund',
      'openRecoveryCheckout',
      'state',
    ]);
    expect(
      [
        recovery.paymentReceivedSignal,
        recovery.pauseRecoveryUpdate,
        recovery.resumeRecoveryUpdate,
        recovery.snoozeRecoveryUpdate,
        recovery.cancelRecoveryUpdate,
        recovery.sendNowRecoveryUpdate,
        recovery.markPaidRecoveryUpdate,
        recovery.recoveryStateQuery,
      ].map((d) => d.name),
    ).toEqual(['paymentReceived', 'pause', 'resume', 'snooze', 'cancel', 'sendNow', 'markPaid', 'state']);
    expect([invoice.invoiceEventSignal, invoice.createPaymentLinkUpdate, invoice.invoiceStateQuery].map((d) => d.name)).toEqual(['invoiceEvent', 'createPaymentLink', 'state']);
    expect([subscription.subscriptionEventSignal, subscription.cancelSubscriptionUpdate, subscription.subscriptionStateQuery].map((d) => d.name)).toEqual([
      'subscriptionEvent',
      'cancel',
      'state',
    ]);
    expect([topUp.checkoutSessionEventSignal, topUp.createCheckoutSessionUpdate, topUp.topUpStateQuery].map((d) => d.name)).toEqual([
      'checkoutSessionEvent',
      'createCheckoutSession',
      'state',
    ]);
    expect(
      [transaction.transactionPaymentSignal, transaction.openCheckoutSessionUpdate, transaction.ensurePaymentLinkUpdate, transaction.transactionStateQuery].map((d) => d.name),
    ).toEqual(['paymentEvent', 'openCheckoutSession', 'ensurePaymentLink', 'state']);
    expect(invoiceImport.invoiceImportProgressQuery.name).toBe('progress');
  });

  it('type a client call from messages alone', () => {
    expectTypeOf<order.OrderWorkflow>().toEqualTypeOf<typeof bundle.orderWorkflow>();
    expectTypeOf<recovery.RecoveryWorkflow>().toEqualTypeOf<typeof bundle.recoveryWorkflow>();
    expectTypeOf<invoice.InvoiceWorkflow>().toEqualTypeOf<typeof bundle.invoiceWorkflow>();
    expectTypeOf<subscription.SubscriptionWorkflow>().toEqualTypeOf<typeof bundle.subscriptionWorkflow>();
    expectTypeOf<topUp.TopUpWorkflow>().toEqualTypeOf<typeof bundle.topUpWorkflow>();
    expectTypeOf<transaction.TransactionWorkflow>().toEqualTypeOf<typeof bundle.transactionWorkflow>();
    expectTypeOf<excessPayment.ExcessPaymentWorkflow>().toEqualTypeOf<typeof bundle.excessPaymentWorkflow>();
    expectTypeOf<invoiceImport.InvoiceImportWorkflow>().toEqualTypeOf<typeof bundle.invoiceImportWorkflow>();
    // A gateway call written with messages.ts only (checked by tsc, never run here).
    const _signalOrder = (client: WorkflowClient, input: order.OrderInput, event: OrderStripeEvent) =>
      client.signalWithStart<order.OrderWorkflow, [OrderStripeEvent]>(order.ORDER_WORKFLOW_TYPE, {
        workflowId: 'order:t:o',
        taskQueue: 'payments',
        args: [input],
        signal: order.orderStripeEventSignal,
        signalArgs: [event],
      });
    type Handle = Awaited<ReturnType<typeof _signalOrder>>;
    expectTypeOf<Awaited<ReturnType<Handle['result']>>>().toEqualTypeOf<order.OrderState>();
  });
});
