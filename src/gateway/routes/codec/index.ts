/**
 * Remote codec endpoint for the Temporal Web UI and CLI (Temporal's "codec server" protocol): POST /codec/decode and
 * /codec/encode take and answer `{ "payloads": [{ "metadata": { "<key>": "<base64>" }, "data": "<base64>" }] }`
 * (Payloads as protobuf JSON) and run them through the payload encryption codec (src/temporal/codec/).
 *
 * Decrypting is a privilege: admin API keys or admin JWTs only (the UI sends its user's access token as a bearer
 * token when "Pass access token" is on). Browsers may call it only from CODEC_ALLOWED_ORIGINS (the Temporal UI).
 * Not part of the public API, so not in the OpenAPI document.
 */
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Payload } from '@temporalio/common';
import type { Config } from '../../../config.js';
import type { Db } from '../../../db/connection.js';
import type { Logger } from '../../../logger.js';
import { PayloadDecryptionError, payloadCodec, type EncryptionCodec } from '../../../temporal/codec/index.js';
import { createAuthenticator, requireRole, type Principal } from '../../auth.js';
import { fieldErrors, HttpProblem, problems } from '../../problem.js';
import { z } from '../../zod.js';

/** Both routes: admin credentials, then the namespace check, then the body (see codecRoutes). */
const table = [
  { method: 'post', path: '/codec/encode', operation: 'encode' },
  { method: 'post', path: '/codec/decode', operation: 'decode' },
] as const;

export const CODEC_PATH = '/codec';
/** A workflow history page can carry many payloads of up to 2 MB each (Temporal's own limit per payload). */
const CODEC_BODY_LIMIT = '8mb';
const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Namespace';

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
const payloadsBody = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), base64).nullish(),
      data: base64.nullish(),
    }),
  ),
});

type JsonPayload = { metadata?: Record<string, string>; data?: string };

function fromJson({ metadata, data }: z.infer<typeof payloadsBody>['payloads'][number]): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
    data: Buffer.from(data ?? '', 'base64'),
  };
}

function toJson({ metadata, data }: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? new Uint8Array()).toString('base64')])),
    ...(data && data.length > 0 ? { data: Buffer.from(data).toString('base64') } : {}),
  };
}

/** CORS for the Temporal UI only, including the preflight its JSON POST with X-Namespace triggers. */
function codecCors(allowedOrigins: readonly string[]): RequestHandler {
  return (req, res, next) => {
    const origin = req.header('origin');
    res.vary('Origin');
    if (origin !== undefined) {
      if (!allowedOrigins.includes(origin)) {
        next(new HttpProblem(403, 'origin_not_allowed', `Origin ${origin} is not in CODEC_ALLOWED_ORIGINS.`));
        return;
      }
      res.setHeader('Access-Control-Allow-Origin', origin);
      // The UI's "Include cross-origin credentials" option sends cookies/credentials with the request.
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

export function codecRoutes({ config, db }: { config: Config; db: Db }): Router {
  const router = Router();
  const codec = payloadCodec(config);
  const authenticate = createAuthenticator(db, config);
  router.use(CODEC_PATH, codecCors(config.CODEC_ALLOWED_ORIGINS));

  const checkNamespace: RequestHandler = (req, _res, next) => {
    const namespace = req.header('x-namespace');
    if (namespace !== undefined && namespace !== config.TEMPORAL_NAMESPACE) {
      next(new HttpProblem(400, 'namespace_not_served', `This codec serves namespace ${config.TEMPORAL_NAMESPACE}, not ${namespace}.`));
      return;
    }
    next();
  };

  for (const { path, operation } of table) {
    router.post(
      path,
      // Credentials and role before the (possibly large) body is read.
      authenticate,
      requireRole('admin'),
      checkNamespace,
      express.json({ limit: CODEC_BODY_LIMIT, strict: true }),
      (req, res, next) => void run(operation, codec, req, res).catch(next),
    );
  }
  return router;
}

async function run(operation: 'encode' | 'decode', codec: EncryptionCodec, req: Request, res: Response): Promise<void> {
  const parsed = payloadsBody.safeParse(req.body);
  if (!parsed.success) throw problems.validation(fieldErrors(parsed.error, 'body'));
  const input = parsed.data.payloads.map(fromJson);
  let output: Payload[];
  try {
    output = operation === 'decode' ? await codec.decode(input) : await codec.encode(input);
  } catch (error) {
    if (error instanceof PayloadDecryptionError) throw new HttpProblem(400, 'payload_not_decodable', error.message);
    throw error;
  }
  const principal = res.locals.principal as Principal;
  const log = res.locals.log as Logger | undefined;
  // An audit trail of who decrypted what amount of data; never the payloads.
  log?.info({ tenantId: principal.tenantId, kind: principal.kind, userId: principal.userId, operation, payloads: input.length }, 'codec request');
  res.json({ payloads: output.map(toJson) });
}
