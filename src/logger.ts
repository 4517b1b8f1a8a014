import { createHash } from 'node:crypto';
import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';

/** Secrets and card data never reach the logs, whatever a caller passes in. */
const REDACT = [
  'req.headers.authorization',
  'req.headers["stripe-signature"]',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  '*.apiKey',
  '*.secret',
  '*.password',
  '*.client_secret',
  '*.card',
  '*.number',
  '*.cvc',
];

/**
 * Personal data: replaced by a pseudonym (`email#3f2a9c`, `phone#…`, `text#…`) so operators can still correlate
 * lines about the same customer or message without reading it. Matched by key at any depth of a logged object.
 */
const EMAIL_KEYS = ['email', 'emails', 'customer_email', 'customerEmail', 'receipt_email', 'billing_email'];
const PHONE_KEYS = ['phone', 'phones', 'phone_number', 'phoneNumber', 'customer_phone', 'customerPhone'];
const ADDRESS_KEYS = ['to', 'recipient', 'recipients', 'address'];
const TEXT_KEYS = ['body', 'text', 'html', 'smsBody', 'sms_body'];
const PERSONAL_KEYS = new Map<string, Kind>([
  ...EMAIL_KEYS.map((key) => [key, 'email'] as const),
  ...PHONE_KEYS.map((key) => [key, 'phone'] as const),
  ...ADDRESS_KEYS.map((key) => [key, 'address'] as const),
  ...TEXT_KEYS.map((key) => [key, 'text'] as const),
]);
type Kind = 'email' | 'phone' | 'address' | 'text';

/** pino `redact` paths for the identifiers (every level); bodies are handled by maskLogObject (info and above). */
const PERSONAL_REDACT = [...EMAIL_KEYS, ...PHONE_KEYS, ...ADDRESS_KEYS].flatMap((key) => [key, `*.${key}`]);

const PSEUDONYM = /^(?:email|phone|text)#[0-9a-f]{6}$/;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** E.164, optionally grouped: +15551234567, +1 555 123 4567, +44-20-7946-0958. */
const PHONE = /\+[1-9](?:[ .-]?\d){6,14}(?!\d)/g;
/** 13–19 digits, optionally separated by spaces, dashes or %20 (a card number in a URL). */
const CARD = /(?<!\d)\d(?:(?:[ -]|%20)?\d){12,18}(?!\d)/g;
/** Cheap pre-check: nothing to mask without an @ or a digit. */
const MAYBE_PERSONAL = /[@\d]/;

const shortHash = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 6);

/** `email#3f2a9c`: a stable, short, unkeyed SHA-256 prefix of the normalised value (lower-cased email, phone digits). */
export function pseudonym(value: string, kind?: 'email' | 'phone' | 'text'): string {
  if (PSEUDONYM.test(value)) return value;
  const resolved = kind ?? (value.includes('@') ? 'email' : /^\+?[\d ().-]{7,}$/.test(value) ? 'phone' : 'text');
  const normalised = resolved === 'email' ? value.trim().toLowerCase() : resolved === 'phone' ? value.replace(/[^\d+]/g, '') : value;
  return `${resolved}#${shortHash(normalised)}`;
}

/** Masks e-mail addresses, E.164 phone numbers and card-like digit runs inside free text (messages, paths, errors). */
export function maskText(value: string): string {
  if (!MAYBE_PERSONAL.test(value)) return value;
  return value
    .replace(EMAIL, (match) => pseudonym(match, 'email'))
    .replace(PHONE, (match) => pseudonym(match, 'phone'))
    .replace(CARD, '[card-number]');
}

function maskByKey(kind: Kind, value: unknown): unknown {
  if (typeof value === 'string') return pseudonym(value, kind === 'address' ? undefined : kind);
  if (Array.isArray(value)) return value.map((item) => maskByKey(kind, item));
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return value;
  return '[redacted]';
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of a log object with personal data masked: known keys pseudonymised, free text masked, errors serialized
 * and masked (their messages often quote the rejected address). Never mutates the caller's object.
 */
export function maskLogObject(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskText(value);
  if (typeof value !== 'object' || value === null || depth > 8) return value;
  if (Array.isArray(value)) return value.map((item) => maskLogObject(item, depth + 1));
  if (value instanceof Error) return maskLogObject({ ...stdSerializers.err(value) }, depth + 1);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const kind = PERSONAL_KEYS.get(key);
    out[key] = kind ? maskByKey(kind, item) : maskLogObject(item, depth + 1);
  }
  return out;
}

const INFO = 30;

/** Pseudonymises identifiers that reach pino's redaction directly (any level). */
const censor = (value: unknown, path: string[]): unknown => maskByKey(PERSONAL_KEYS.get(path[path.length - 1] ?? '') ?? 'address', value);

/**
 * `destination`: where lines go (default stdout); tests pass a capturing stream.
 *
 * Personal data never reaches a line at info level and above: a logMethod hook (it only runs for enabled levels,
 * so a disabled level costs nothing on the webhook hot path) masks the object and the message strings. Debug and
 * trace lines keep message bodies (for local troubleshooting), but identifiers are still pseudonymised there.
 */
export function createLogger(level: string, name = 'payments', destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    redact: {
      paths: [...REDACT, ...PERSONAL_REDACT],
      censor: (value: unknown, path: string[]) => (PERSONAL_KEYS.has(path[path.length - 1] ?? '') ? censor(value, path) : '[redacted]'),
    },
    // Errors at info and above arrive here already serialized and masked (maskLogObject); keep that shape.
    serializers: { err: (value: unknown) => (value instanceof Error ? stdSerializers.err(value) : value) },
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...args: unknown[]) => void, levelValue: number) {
        if (levelValue < INFO) return method.apply(this, args);
        const masked = args.map((arg) => {
          if (typeof arg === 'string') return maskText(arg);
          if (arg instanceof Error) return { err: maskLogObject(arg) };
          return typeof arg === 'object' && arg !== null ? maskLogObject(arg) : arg;
        });
        // pino takes the message of an Error logged on its own; keep that (masked).
        if (args.length === 1 && args[0] instanceof Error) masked.push(maskText(args[0].message));
        return method.apply(this, masked);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
