/**
 * Recovery message templates: email (HTML + text) and SMS. Pure functions of RecoveryMessageData; every
 * interpolated value is HTML-escaped, and links must be http(s) (a javascript: URL is refused, not rendered).
 */
import { formatMinorUnits } from '../domain/money.js';
import type { RecoveryMessageData, RenderedEmail } from '../domain/messaging/contracts.js';

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function httpUrl(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RangeError(`${field} is not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RangeError(`${field} must be an http(s) URL`);
  return url.toString();
}

/** "12.34 USD", "1234 JPY", "1.234 KWD": exact minor-unit rendering plus the upper-case ISO code. */
export function formatAmount(amount: number, currency: string): string {
  return `${formatMinorUnits(amount, currency)} ${currency.toUpperCase()}`;
}

/** "15 March 2026" for an ISO date or datetime (read in UTC); anything unparseable is shown as given. */
export function formatDueDate(value: string): string {
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(date);
}

function subjectFor(data: RecoveryMessageData, amount: string): string {
  const prefix = data.step > 1 ? `Reminder ${data.step}: ` : '';
  return `${prefix}Payment of ${amount} to ${data.tenantName} is due`;
}

export function renderRecoveryEmail(data: RecoveryMessageData): RenderedEmail {
  const amount = formatAmount(data.amount, data.currency);
  const payUrl = httpUrl(data.paymentUrl, 'paymentUrl');
  const unsubscribeUrl = data.unsubscribeUrl === undefined ? undefined : httpUrl(data.unsubscribeUrl, 'unsubscribeUrl');
  const due = data.dueDate ? formatDueDate(data.dueDate) : undefined;
  const subject = subjectFor(data, amount);
  const greeting = data.customerName ? `Hi ${data.customerName},` : 'Hello,';
  const dueSentence = due ? `It was due on ${due}.` : '';

  const text = [
    greeting,
    '',
    `${data.step > 1 ? 'This is a reminder that a' : 'A'} payment of ${amount} to ${data.tenantName} is outstanding.${dueSentence ? ` ${dueSentence}` : ''}`,
    '',
    'Pay now:',
    payUrl,
    '',
    'If you have already paid, please ignore this message.',
    '',
    `— ${data.tenantName}`,
    ...(unsubscribeUrl ? ['', `To stop receiving these emails: ${unsubscribeUrl}`] : []),
    '',
  ].join('\n');

  const e = escapeHtml;
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(subject)}</title></head>
<body style="margin:0;padding:0;background:#f4f5f7;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2933">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f5f7;padding:24px 0">
<tr><td align="center">
<table role="presentation" width="560" cellpadding="0" cellspacing="0" style="max-width:560px;width:100%;background:#ffffff;border-radius:8px;padding:32px">
<tr><td>
<h1 style="font-size:20px;margin:0 0 16px">${e(data.tenantName)}</h1>
<p style="font-size:16px;line-height:1.5;margin:0 0 12px">${e(greeting)}</p>
<p style="font-size:16px;line-height:1.5;margin:0 0 12px">${data.step > 1 ? 'This is a reminder that a' : 'A'} payment of <strong>${e(amount)}</strong> to ${e(data.tenantName)} is outstanding.</p>
${due ? `<p style="font-size:16px;line-height:1.5;margin:0 0 12px">Due date: <strong>${e(due)}</strong></p>\n` : ''}<table role="presentation" cellpadding="0" cellspacing="0" style="margin:24px 0"><tr><td style="border-radius:6px;background:#0a66c2">
<a href="${e(payUrl)}" style="display:inline-block;padding:14px 32px;font-size:18px;font-weight:bold;color:#ffffff;text-decoration:none;border-radius:6px">Pay ${e(amount)}</a>
</td></tr></table>
<p style="font-size:14px;line-height:1.5;margin:0 0 12px;color:#52606d">Or open this link: <a href="${e(payUrl)}" style="color:#0a66c2;word-break:break-all">${e(payUrl)}</a></p>
<p style="font-size:14px;line-height:1.5;margin:0;color:#52606d">If you have already paid, please ignore this message.</p>
</td></tr>
</table>
${unsubscribeUrl ? `<p style="font-size:12px;color:#7b8794;margin:16px 0 0">You receive this email because of an outstanding payment to ${e(data.tenantName)}. <a href="${e(unsubscribeUrl)}" style="color:#7b8794">Unsubscribe</a></p>\n` : ''}</td></tr>
</table>
</body>
</html>
`;
  return { subject, html, text };
}

/** One short SMS: who, how much, the link, and the opt-out instruction carriers require. */
export function renderRecoverySms(data: RecoveryMessageData): string {
  const amount = formatAmount(data.amount, data.currency);
  const payUrl = httpUrl(data.paymentUrl, 'paymentUrl');
  const due = data.dueDate ? ` (due ${formatDueDate(data.dueDate)})` : '';
  const prefix = data.step > 1 ? 'Reminder: ' : '';
  return `${data.tenantName}: ${prefix}payment of ${amount}${due} is outstanding. Pay: ${payUrl} Reply STOP to opt out`;
}
