/**
 * The messaging layer bound to its dependencies, in the shape the recovery activities take
 * (activities/recovery.ts `RecoveryMessenger`): build it once per worker and pass it as `messaging`.
 */
import type { Config } from '../config.js';
import type { Db } from '../db/connection.js';
import type { Logger } from '../logger.js';
import { createMailer, type Mailer } from './email.js';
import { unsubscribeUrl } from './links.js';
import { sendRecoveryMessage } from './send.js';
import { createSmsSender, type SmsSender } from './sms.js';
import type { MessageKey, RecoveryMessageData, SendOutcome } from '../domain/messaging/contracts.js';

export interface MessengerRecipient {
  email?: string | null;
  phone?: string | null;
}

export interface Messenger {
  send(key: MessageKey, recipient: MessengerRecipient, data: RecoveryMessageData, options: { isItemPaid: () => Promise<boolean> }): Promise<SendOutcome>;
  unsubscribeUrl(tenantId: string, email: string): string;
  mailer: Mailer;
  sms: SmsSender;
  close(): void;
}

export function createMessenger(deps: { db: Db; config: Config; log?: Logger; mailer?: Mailer; sms?: SmsSender }): Messenger {
  const mailer = deps.mailer ?? createMailer(deps.config, deps.log);
  const sms = deps.sms ?? createSmsSender(deps.config, deps.log);
  return {
    mailer,
    sms,
    async send(key, recipient, data, options) {
      const address = key.channel === 'email' ? recipient.email : recipient.phone;
      if (!address) return { status: 'skipped', reason: 'channel_unavailable' };
      return sendRecoveryMessage({ db: deps.db, mailer, sms, config: deps.config, log: deps.log }, key, address, data, options);
    },
    unsubscribeUrl: (tenantId, email) => unsubscribeUrl(deps.config, tenantId, email),
    close: () => mailer.close(),
  };
}
