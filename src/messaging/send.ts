/**
 * The idempotent send of one recovery message, called by the campaign's activity once per (campaign step,
 * channel). Delivery guarantee: AT MOST ONCE. A customer never gets the same reminder twice. A crash leaves the
 * row in one of two windows, which a retry tells apart:
 *
 *   claim window    row 'claimed': the step is ours, but nothing has been handed to SMTP/Twilio yet (an attempt
 *                   that died while checking isItemPaid, for instance). Nothing can have reached the customer,
 *                   so the retry re-claims the row and sends: the message is not lost.
 *   hand-off window row 'sending', written and committed immediately before the provider call: from then on the
 *                   provider may have the message (SMTP DATA sent but not acknowledged, Twilio request on the
 *                   wire, or accepted but not yet recorded as 'sent'). The retry cannot know, so the step becomes
 *                   `possibly_sent` and is not resent. A duplicate payment demand is worse for a customer than one
 *                   missing reminder in a multi-step campaign.
 *
 * Each claim carries a fencing token (the row's `attempts`, bumped by every re-claim): only the latest claim can
 * move the row to 'sending' or release it, so an attempt that was presumed dead but is still running (a Temporal
 * start-to-close timeout) cannot send after its retry took the step over.
 *
 *   suppressed?              → skipped 'suppressed'           (no row written)
 *   claim the row (unique per tenant, campaign, step, channel):
 *     existing sent/delivered/undelivered → skipped 'already_sent'
 *     existing possibly_sent              → skipped 'possibly_sent'
 *     existing sending (a previous attempt died during the hand-off) → marked possibly_sent, skipped 'possibly_sent'
 *     existing claimed (a previous attempt died before the hand-off) → re-claimed (conditional UPDATE) and sent
 *     existing failed, permanent          → failed, permanent (again, nothing sent)
 *     existing failed, transient          → re-claimed (conditional UPDATE) and sent again
 *   isItemPaid()?            → claim released (row deleted), skipped 'item_paid'
 *   hand-off: 'claimed' → 'sending' (only for the latest claim; superseded → nothing sent, skipped 'possibly_sent',
 *                                    or 'already_sent' if the newer attempt has recorded it)
 *   send → sent(providerId)
 *   transient failure        → row 'failed', THROWS MessageSendError (the Temporal activity retries)
 *   ambiguous failure (SMS request timed out / reset after it may have reached Twilio) → 'possibly_sent', skipped
 *   permanent failure        → row 'failed' (permanent), returns {status:'failed', permanent:true}; for SMS, an
 *                              opted-out recipient (21610) is suppressed for every tenant and an invalid number
 *                              (21211, 21614, ...) for this tenant, so later steps skip it.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config.js';
import type { Db } from '../db/connection.js';
import {
  beginHandoff,
  claimMessage,
  findMessage,
  markMessage,
  reclaimMessage,
  releaseMessage,
  type MessageClaim,
  type RecoveryMessage,
} from '../db/messages.js';
import { ALL_TENANTS, isSuppressed, normaliseAddress, suppress } from '../db/suppressions.js';
import type { Logger } from '../logger.js';
import { EmailSendError, listUnsubscribeHeaders, sendEmail, type Mailer } from './email.js';
import { INVALID_NUMBER_TWILIO_CODES, OPTED_OUT_TWILIO_CODES, SmsSendError, sendSms, type SmsSender } from './sms.js';
import { renderRecoveryEmail, renderRecoverySms } from './templates.js';
import type { MessageKey, RecoveryMessageData, RenderedEmail, SendOutcome } from '../domain/messaging/contracts.js';

export interface SendDeps {
  db: Db;
  /** Absent → email is 'channel_unavailable'. */
  mailer?: Mailer;
  /** Absent → SMS is 'channel_unavailable'. */
  sms?: SmsSender;
  config: Pick<Config, 'MAIL_FROM'>;
  log?: Logger;
}

export interface SendOptions {
  /** Asked right before sending; true → nothing is sent (the customer paid while the campaign waited). */
  isItemPaid: () => Promise<boolean>;
}

/** A transient failure: the row is 'failed' and the next attempt (activity retry) sends again. */
export class MessageSendError extends Error {
  readonly permanent = false;
  constructor(
    message: string,
    readonly key: MessageKey,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MessageSendError';
  }
}

/** A stable Message-ID per step: a resend after a transient failure carries the same id (receivers may dedupe). */
export function recoveryMessageId(key: MessageKey, mailFrom: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(mailFrom)?.[1] ?? 'localhost';
  const digest = createHash('sha256').update(JSON.stringify([key.tenantId, key.campaignId, key.step, key.channel])).digest('hex').slice(0, 32);
  return `<recovery.${digest}@${domain}>`;
}

type Prepared = { channel: 'email'; to: string; rendered: RenderedEmail; headers: Record<string, string> } | { channel: 'sms'; to: string; body: string };

function prepare(key: MessageKey, address: string, data: RecoveryMessageData): Prepared {
  if (key.channel === 'email') {
    return { channel: 'email', to: address, rendered: renderRecoveryEmail(data), headers: listUnsubscribeHeaders(data.unsubscribeUrl) };
  }
  return { channel: 'sms', to: address, body: renderRecoverySms(data) };
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function sendRecoveryMessage(
  deps: SendDeps,
  key: MessageKey,
  recipient: string,
  data: RecoveryMessageData,
  opts: SendOptions,
): Promise<SendOutcome> {
  const { db } = deps;
  if ((key.channel === 'email' && !deps.mailer) || (key.channel === 'sms' && !deps.sms)) return { status: 'skipped', reason: 'channel_unavailable' };
  const address = normaliseAddress(key.channel, recipient);
  if (!address) return { status: 'failed', permanent: true, error: `invalid ${key.channel === 'email' ? 'email address' : 'E.164 phone number'}: ${JSON.stringify(recipient)}` };

  // Rendering is pure and cannot get better on retry: a bad template input is a permanent failure, nothing claimed.
  let prepared: Prepared;
  try {
    prepared = prepare(key, address, data);
  } catch (error) {
    return { status: 'failed', permanent: true, error: `cannot render the message: ${errorText(error)}` };
  }

  if (await isSuppressed(db, key.tenantId, key.channel, address)) return { status: 'skipped', reason: 'suppressed' };

  let claim: MessageClaim | undefined;
  for (let attempt = 0; claim === undefined; attempt++) {
    const result = await claimMessage(db, key, address);
    if (result.claimed) {
      claim = { id: result.id, attempts: result.attempts };
      break;
    }
    const settled = await settleExisting(deps, key, result.existing, address);
    if (settled.kind === 'reclaimed') {
      claim = settled.claim;
      break;
    }
    if (settled.kind === 'done') return settled.outcome;
    if (attempt >= 2) return { status: 'skipped', reason: 'possibly_sent' };
  }
  const id = claim.id;

  let paid: boolean;
  try {
    paid = await opts.isItemPaid();
  } catch (error) {
    // Nothing was sent: give the slot back (a retry would re-claim a 'claimed' row anyway).
    await releaseMessage(db, claim);
    throw error;
  }
  if (paid) {
    await releaseMessage(db, claim);
    return { status: 'skipped', reason: 'item_paid' };
  }

  // The hand-off window opens: committed before the provider call, so a retry after a crash from here on does not
  // resend. Refused when a newer attempt took the step over (this one was presumed dead): then it sends nothing.
  if (!(await beginHandoff(db, claim))) {
    deps.log?.warn({ key }, 'recovery message claim superseded by a newer attempt before the hand-off: not sending');
    const now = await findMessage(db, key);
    const recorded = now?.status === 'sent' || now?.status === 'delivered' || now?.status === 'undelivered';
    return { status: 'skipped', reason: recorded ? 'already_sent' : 'possibly_sent' };
  }

  let providerId: string;
  try {
    providerId =
      prepared.channel === 'email'
        ? await sendEmail(deps.mailer!, { to: prepared.to, rendered: prepared.rendered, headers: prepared.headers, messageId: recoveryMessageId(key, deps.mailer!.from || deps.config.MAIL_FROM) })
        : await sendSms(deps.sms!, { to: prepared.to, body: prepared.body });
  } catch (error) {
    return recordFailure(deps, key, id, address, error);
  }
  // If this write fails the row stays 'sending' and the next attempt reports possibly_sent: never a duplicate.
  await markMessage(db, id, { status: 'sent', providerId });
  return { status: 'sent', providerId };
}

type Settled = { kind: 'done'; outcome: SendOutcome } | { kind: 'reclaimed'; claim: MessageClaim } | { kind: 'lost_race' };

/** What an existing row means for this attempt: a final outcome, the step re-claimed for this attempt, or a lost race. */
async function settleExisting(deps: SendDeps, key: MessageKey, existing: RecoveryMessage, address: string): Promise<Settled> {
  const { db } = deps;
  const done = (outcome: SendOutcome): Settled => ({ kind: 'done', outcome });
  const reclaim = async (status: 'failed' | 'claimed'): Promise<Settled> => {
    const claim = await reclaimMessage(db, { id: existing.id, status, attempts: existing.attempts }, address);
    return claim ? { kind: 'reclaimed', claim } : { kind: 'lost_race' };
  };
  switch (existing.status) {
    case 'sent':
    case 'delivered':
    case 'undelivered':
      return done({ status: 'skipped', reason: 'already_sent' });
    case 'possibly_sent':
      return done({ status: 'skipped', reason: 'possibly_sent' });
    case 'sending':
      // A previous attempt started handing the message to the provider and then died (or is still running): we
      // cannot know whether the provider got it. Only from 'sending': a concurrent 'sent' record is not overwritten.
      await markMessage(db, existing.id, { status: 'possibly_sent', error: 'a previous attempt ended between handing the message to the provider and recording the send' }, ['sending']);
      deps.log?.warn({ key }, 'a previous attempt died during the hand-off to the provider: possibly_sent, not resending (at most once)');
      return done({ status: 'skipped', reason: 'possibly_sent' });
    case 'claimed':
      // A previous attempt claimed and then died (or is still running) before the hand-off: nothing was sent.
      // Re-claiming supersedes its claim, so even if it is still running it can no longer send.
      deps.log?.info({ key }, 'a previous attempt claimed this message and ended before the hand-off: sending it');
      return reclaim('claimed');
    case 'failed':
      if (existing.permanentFailure) return done({ status: 'failed', permanent: true, error: existing.error ?? 'failed permanently' });
      return reclaim('failed');
  }
}

async function recordFailure(deps: SendDeps, key: MessageKey, id: string, address: string, error: unknown): Promise<SendOutcome> {
  const { db } = deps;
  const message = errorText(error);
  const permanent = error instanceof EmailSendError || error instanceof SmsSendError ? error.permanent : false;
  if (error instanceof SmsSendError && error.ambiguous) {
    await markMessage(db, id, { status: 'possibly_sent', error: message });
    deps.log?.warn({ key, err: error }, 'SMS request may have reached Twilio: not retrying (at most once)');
    return { status: 'skipped', reason: 'possibly_sent' };
  }
  await markMessage(db, id, { status: 'failed', error: message, permanent });
  if (!permanent) throw new MessageSendError(`${key.channel} send failed transiently: ${message}`, key, { cause: error });
  if (error instanceof SmsSendError && typeof error.details.code === 'number') {
    if (OPTED_OUT_TWILIO_CODES.has(error.details.code)) await suppress(db, ALL_TENANTS, 'sms', address, 'stop_reply');
    else if (INVALID_NUMBER_TWILIO_CODES.has(error.details.code)) await suppress(db, key.tenantId, 'sms', address, 'hard_bounce');
  }
  return { status: 'failed', permanent: true, error: message };
}
