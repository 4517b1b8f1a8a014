/**
 * SMS through the Twilio SDK. Credentials: TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or TWILIO_API_KEY +
 * TWILIO_API_SECRET (+ the account SID). Sender: TWILIO_MESSAGING_SERVICE_SID (preferred) or TWILIO_FROM_NUMBER.
 * TWILIO_API_BASE_URL replaces https://api.twilio.com (the tests point it at Prism). Nothing configured → a
 * sender that logs the message and returns a fake SID (the local default of `npm start`).
 */
import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import type { Config } from '../config.js';
import { pseudonym, type Logger } from '../logger.js';

type RequestClientOptions<TData> = import('twilio/lib/base/RequestClient.js').RequestOptions<TData>;
type TwilioResponse<TData> = import('twilio/lib/http/response.js').default<TData>;

export type TwilioConfig = Pick<
  Config,
  | 'TWILIO_ACCOUNT_SID'
  | 'TWILIO_AUTH_TOKEN'
  | 'TWILIO_API_KEY'
  | 'TWILIO_API_SECRET'
  | 'TWILIO_MESSAGING_SERVICE_SID'
  | 'TWILIO_FROM_NUMBER'
  | 'TWILIO_API_BASE_URL'
  | 'PUBLIC_BASE_URL'
>;

export interface SmsToSend {
  /** E.164. */
  to: string;
  body: string;
}

export interface SmsSender {
  /** 'twilio' sends; 'log' only logs (Twilio not configured). */
  kind: 'twilio' | 'log';
  /** Returns the provider id (Twilio Message SID). Throws anything; sendSms classifies it. */
  send(message: SmsToSend): Promise<string>;
}

const TWILIO_API_ORIGIN = 'https://api.twilio.com';

/**
 * twilio-node has no base-URL option; every REST call goes through `httpClient.request({uri})` with an absolute
 * https://api.twilio.com/... URI, so this client rewrites that origin.
 */
export class BaseUrlRequestClient extends twilio.RequestClient {
  constructor(
    private readonly baseUrl: string,
    opts?: ConstructorParameters<typeof twilio.RequestClient>[0],
  ) {
    super(opts);
  }

  override request<TData>(opts: RequestClientOptions<TData>): Promise<TwilioResponse<TData>> {
    const uri = opts.uri.startsWith(TWILIO_API_ORIGIN) ? `${this.baseUrl.replace(/\/$/, '')}${opts.uri.slice(TWILIO_API_ORIGIN.length)}` : opts.uri;
    return super.request<TData>({ ...opts, uri });
  }
}

export function twilioStatusCallbackUrl(config: Pick<Config, 'PUBLIC_BASE_URL'>): string {
  return `${config.PUBLIC_BASE_URL.replace(/\/$/, '')}/v1/webhooks/twilio/status`;
}

/** Which TWILIO_* variables are missing for sending, or [] when sending is fully configured. */
export function missingTwilioSettings(config: TwilioConfig): string[] {
  const missing: string[] = [];
  if (!config.TWILIO_ACCOUNT_SID) missing.push('TWILIO_ACCOUNT_SID');
  if (!config.TWILIO_AUTH_TOKEN && !(config.TWILIO_API_KEY && config.TWILIO_API_SECRET)) missing.push('TWILIO_AUTH_TOKEN (or TWILIO_API_KEY + TWILIO_API_SECRET)');
  if (!config.TWILIO_MESSAGING_SERVICE_SID && !config.TWILIO_FROM_NUMBER) missing.push('TWILIO_MESSAGING_SERVICE_SID (or TWILIO_FROM_NUMBER)');
  return missing;
}

const SENDING_VARIABLES = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_API_KEY', 'TWILIO_API_SECRET', 'TWILIO_MESSAGING_SERVICE_SID', 'TWILIO_FROM_NUMBER'] as const;

/**
 * Twilio sender when configured, a logging sender when no TWILIO_* sending variable is set at all. A partial
 * configuration is an error (it would otherwise silently log instead of sending in production).
 */
export function createSmsSender(config: TwilioConfig, log?: Logger): SmsSender {
  const missing = missingTwilioSettings(config);
  if (missing.length > 0) {
    if (SENDING_VARIABLES.some((name) => config[name] !== undefined)) {
      throw new Error(`Twilio SMS is partly configured; also set ${missing.join(', ')} (or unset every TWILIO_* sending variable to log SMS instead)`);
    }
    return {
      kind: 'log',
      async send(message) {
        const sid = `SMlog${randomBytes(15).toString('hex')}`;
        // No personal data at info: the number as a pseudonym, the text only at debug (local troubleshooting).
        log?.info({ to: pseudonym(message.to, 'phone'), chars: message.body.length, sid }, 'Twilio not configured: SMS not sent');
        log?.debug({ sid, body: message.body }, 'SMS text');
        return sid;
      },
    };
  }
  const accountSid = config.TWILIO_ACCOUNT_SID!;
  const httpClient = config.TWILIO_API_BASE_URL ? new BaseUrlRequestClient(config.TWILIO_API_BASE_URL, { timeout: 15_000 }) : new twilio.RequestClient({ timeout: 15_000 });
  const client =
    config.TWILIO_API_KEY && config.TWILIO_API_SECRET
      ? twilio(config.TWILIO_API_KEY, config.TWILIO_API_SECRET, { accountSid, httpClient, env: {} })
      : twilio(accountSid, config.TWILIO_AUTH_TOKEN, { httpClient, env: {} });
  const statusCallback = twilioStatusCallbackUrl(config);
  return {
    kind: 'twilio',
    async send(message) {
      const created = await client.messages.create({
        to: message.to,
        body: message.body,
        statusCallback,
        ...(config.TWILIO_MESSAGING_SERVICE_SID ? { messagingServiceSid: config.TWILIO_MESSAGING_SERVICE_SID } : { from: config.TWILIO_FROM_NUMBER! }),
      });
      return created.sid;
    },
  };
}

/**
 * A send that did not go through. `permanent`: Twilio refused this message for good (invalid or unreachable
 * number, opted-out recipient, ...): the campaign may fall back to email. `ambiguous`: the request may have
 * reached Twilio (timeout, connection reset after sending), so the message may exist.
 */
export class SmsSendError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly details: { status?: number; code?: number | string; ambiguous?: boolean } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SmsSendError';
  }

  get ambiguous(): boolean {
    return this.details.ambiguous === true;
  }
}

/**
 * Twilio error codes that mean "this recipient cannot get this message", whatever we retry.
 * https://www.twilio.com/docs/api/errors
 */
export const PERMANENT_TWILIO_CODES: ReadonlyMap<number, string> = new Map([
  [21211, "invalid 'To' phone number"],
  [21214, "'To' phone number cannot be reached"],
  [21217, 'phone number does not appear to be valid'],
  [21401, 'invalid phone number'],
  [21407, 'this phone number type does not support SMS'],
  [21408, 'permission to send an SMS has not been enabled for the region'],
  [21604, "'To' phone number is required"],
  [21610, 'attempt to send to unsubscribed recipient (replied STOP)'],
  [21612, "the 'To' phone number is not currently reachable via SMS"],
  [21614, "'To' number is not a valid mobile number"],
  [21635, "'To' number cannot be a landline"],
  [30003, 'unreachable destination handset'],
  [30004, 'message blocked'],
  [30005, 'unknown destination handset'],
  [30006, 'landline or unreachable carrier'],
  [30007, 'message filtered by the carrier'],
]);

/** Codes that mean the recipient opted out (STOP): suppress SMS to them. */
export const OPTED_OUT_TWILIO_CODES: ReadonlySet<number> = new Set([21610]);
/** Codes that mean the number can never take SMS: suppress as a hard bounce. */
export const INVALID_NUMBER_TWILIO_CODES: ReadonlySet<number> = new Set([21211, 21217, 21401, 21407, 21614, 21635]);

/** Network errors where the request never left (safe to retry without risking a duplicate). */
const NOT_SENT_NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT']);

/**
 * Permanent: a known recipient code, or any other 4xx (the request is invalid as such and will never succeed),
 * except 401/403 (credentials or account permissions: our configuration, an operator fixes it and the retry
 * works) and 429 (rate limit). Transient: 401/403/429, 5xx, network errors.
 */
export function classifySmsError(error: unknown): SmsSendError {
  if (error instanceof SmsSendError) return error;
  const e = (error ?? {}) as { status?: unknown; code?: unknown; message?: unknown; title?: unknown; detail?: unknown };
  // RFC 9457 answers (TwilioServiceException) carry the text in title/detail; legacy ones (RestException) in message.
  const problemText = [e.title, e.detail].filter((part): part is string => typeof part === 'string' && part !== '').join(': ');
  const message = problemText || (typeof e.message === 'string' && e.message ? e.message : String(error));
  if (typeof e.status === 'number') {
    const status = e.status;
    const code = typeof e.code === 'number' ? e.code : undefined;
    const known = code !== undefined ? PERMANENT_TWILIO_CODES.get(code) : undefined;
    const permanent = known !== undefined || (status >= 400 && status < 500 && status !== 401 && status !== 403 && status !== 429);
    const text = `Twilio ${status}${code !== undefined ? ` (${code}${known ? `: ${known}` : ''})` : ''}: ${message}`;
    return new SmsSendError(text, permanent, { status, code }, { cause: error });
  }
  const networkCode = typeof e.code === 'string' ? e.code : undefined;
  const ambiguous = networkCode === undefined || !NOT_SENT_NETWORK_CODES.has(networkCode);
  return new SmsSendError(`Twilio request failed${networkCode ? ` (${networkCode})` : ''}: ${message}`, false, { code: networkCode, ambiguous }, { cause: error });
}

/** Sends one SMS; returns the Twilio Message SID. Throws SmsSendError (`permanent`, `ambiguous`). */
export async function sendSms(sender: SmsSender, message: SmsToSend): Promise<string> {
  try {
    return await sender.send(message);
  } catch (error) {
    throw classifySmsError(error);
  }
}
