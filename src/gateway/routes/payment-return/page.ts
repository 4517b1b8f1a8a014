/** The gateway's payment return page: what a Checkout Session shows the customer, rendered as self-contained HTML. */
import type Stripe from 'stripe';
import { escapeHtml } from '../../../messaging/templates.js';
import { formatMinorUnits } from '../../../domain/money.js';

export type ReturnPageResult = 'paid' | 'processing' | 'unpaid' | 'no_payment_required' | 'confirming' | 'cancelled';

export interface ReturnPage {
  result: ReturnPageResult;
  title: string;
  message: string;
  /** e.g. "42.00 USD"; only when Stripe reported an amount. */
  amount?: string;
}

export const CONFIRMING: ReturnPage = { result: 'confirming', title: 'Thank you', message: 'We are confirming your payment; you can close this page.' };
export const CANCELLED: ReturnPage = { result: 'cancelled', title: 'Payment not completed', message: 'Payment not completed; you can use the same link again.' };

/** The page for a retrieved session: reads only amount_total, currency, payment_status and status. */
export function describeCheckoutSession(session: Pick<Stripe.Checkout.Session, 'amount_total' | 'currency' | 'payment_status' | 'status'>): ReturnPage {
  const amount =
    typeof session.amount_total === 'number' && Number.isSafeInteger(session.amount_total) && session.currency
      ? `${formatMinorUnits(session.amount_total, session.currency)} ${session.currency.toUpperCase()}`
      : undefined;
  const withAmount = (page: ReturnPage): ReturnPage => (amount === undefined ? page : { ...page, amount });
  switch (session.payment_status) {
    case 'paid':
      return withAmount({ result: 'paid', title: 'Payment received', message: 'Thank you, your payment was received. You can close this page.' });
    case 'no_payment_required':
      return withAmount({ result: 'no_payment_required', title: 'No payment required', message: 'Nothing was charged. You can close this page.' });
    case 'unpaid':
      // A completed session that is still unpaid is a delayed payment method (bank debit, transfer) being confirmed.
      if (session.status === 'complete') {
        return withAmount({
          result: 'processing',
          title: 'Payment processing',
          message: 'Your payment is being processed; confirmation can take a few days. You can close this page.',
        });
      }
      return withAmount({ result: 'unpaid', title: 'Not paid', message: 'This payment has not been completed.' });
    default:
      return CONFIRMING;
  }
}

const STATUS_WORDS: Record<ReturnPageResult, string | undefined> = {
  paid: 'Payment received',
  processing: 'Payment processing',
  unpaid: 'Not paid',
  no_payment_required: 'No payment required',
  confirming: undefined,
  cancelled: undefined,
};

/** Self-contained (no scripts, images or external styles); every dynamic value is escaped. */
export function renderReturnPage(page: ReturnPage): string {
  const e = escapeHtml;
  const status = STATUS_WORDS[page.result];
  const facts = [
    page.amount === undefined ? '' : `<div><dt>Amount</dt><dd id="amount">${e(page.amount)}</dd></div>`,
    status === undefined ? '' : `<div><dt>Status</dt><dd id="status">${e(status)}</dd></div>`,
  ].join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<meta name="payment-result" content="${e(page.result)}">
<title>${e(page.title)}</title>
<style>
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:32em;margin:4em auto;padding:0 1em;color:#1f2933}
h1{font-size:1.4em}dl{margin:1.5em 0}dl div{display:flex;gap:1em;padding:.3em 0}dt{min-width:5em;color:#52606d}dd{margin:0;font-weight:600}
</style>
</head>
<body data-result="${e(page.result)}">
<main>
<h1>${e(page.title)}</h1>
${facts ? `<dl>${facts}</dl>\n` : ''}<p>${e(page.message)}</p>
</main>
</body>
</html>
`;
}
