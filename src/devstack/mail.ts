/**
 * Local mail catcher for development and tests: an SMTP server that accepts everything (no auth, no TLS),
 * stores each message as an .eml file, and a tiny web UI / JSON API to read them.
 *
 * Built on smtp-server + mailparser (maildev@3 does not install from our registry; maildev@2 would add
 * ~165 packages including express 4 and jsdom).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { findFreePort, LOCALHOST } from './ports.js';

export interface StartMailViewerOptions {
  /** Where .eml files go; created if missing. Kept across restarts. */
  dir: string;
  smtpPort?: number;
  webPort?: number;
  /** Log one line per received message (default: stderr with a [mail] prefix). Pass () => {} to silence. */
  log?: (msg: string) => void;
}

export interface CapturedMail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  date: string;
  text: string;
  html: string | null;
}

export interface RunningMailViewer {
  /** SMTP_URL for nodemailer, e.g. smtp://127.0.0.1:1025 */
  smtpUrl: string;
  /** Web UI; JSON at `${webUrl}/api/messages` */
  webUrl: string;
  smtpPort: number;
  webPort: number;
  dir: string;
  /** Every stored message, newest first. */
  messages(): Promise<CapturedMail[]>;
  /** Deletes every stored message. */
  clear(): Promise<void>;
  /** Idempotent. */
  stop(): Promise<void>;
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  if (!value) return [];
  return (Array.isArray(value) ? value : [value]).flatMap((group) => group.value.map((a) => a.address ?? a.name ?? '')).filter(Boolean);
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export async function startMailViewer(opts: StartMailViewerOptions): Promise<RunningMailViewer> {
  const log = opts.log ?? ((msg: string) => process.stderr.write(`[mail] ${msg}\n`));
  const dir = path.resolve(opts.dir);
  await mkdir(dir, { recursive: true });
  const cache = new Map<string, CapturedMail>();

  const parse = async (id: string): Promise<CapturedMail> => {
    const cached = cache.get(id);
    if (cached) return cached;
    const mail = await simpleParser(await readFile(path.join(dir, `${id}.eml`)));
    const parsed: CapturedMail = {
      id,
      from: mail.from?.text ?? '',
      to: addresses(mail.to),
      subject: mail.subject ?? '',
      date: (mail.date ?? new Date()).toISOString(),
      text: mail.text ?? '',
      html: typeof mail.html === 'string' ? mail.html : null,
    };
    cache.set(id, parsed);
    return parsed;
  };
  const ids = async () =>
    (await readdir(dir))
      .filter((f) => f.endsWith('.eml'))
      .map((f) => f.slice(0, -4))
      .sort()
      .reverse();
  const messages = async () => Promise.all((await ids()).map(parse));
  const clear = async () => {
    for (const id of await ids()) await rm(path.join(dir, `${id}.eml`), { force: true });
    cache.clear();
  };

  const smtpPort = await findFreePort(opts.smtpPort);
  const webPort = await findFreePort(opts.webPort);
  const webUrl = `http://${LOCALHOST}:${webPort}`;

  const smtp = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    banner: 'payments dev mail catcher',
    logger: false,
    closeTimeout: 2000,
    onAuth(_auth, _session, callback) {
      callback(null, { user: 'dev' });
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const id = `${Date.now().toString().padStart(14, '0')}-${randomBytes(4).toString('hex')}`;
        writeFile(path.join(dir, `${id}.eml`), Buffer.concat(chunks))
          .then(() => parse(id))
          .then((mail) => {
            log(`to=${mail.to.join(',')} subject=${JSON.stringify(mail.subject)} → ${webUrl}/messages/${id}`);
            callback();
          })
          .catch((error: Error) => callback(error));
      });
    },
  });

  const web = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', webUrl);
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    (async () => {
      if (url.pathname === '/api/messages' && req.method === 'GET') return send(200, 'application/json', JSON.stringify(await messages()));
      if (url.pathname === '/api/messages' && req.method === 'DELETE') {
        await clear();
        return send(204, 'text/plain', '');
      }
      const match = /^\/messages\/([\w-]+)(\/raw)?$/.exec(url.pathname);
      if (match) {
        const id = match[1]!;
        if (!(await ids()).includes(id)) return send(404, 'text/plain', 'no such message');
        if (match[2]) return send(200, 'text/plain; charset=utf-8', await readFile(path.join(dir, `${id}.eml`), 'utf8'));
        const m = await parse(id);
        const body = m.html
          ? `<iframe sandbox style="width:100%;height:70vh;border:1px solid #ccc" srcdoc="${escapeHtml(m.html)}"></iframe>`
          : `<pre style="white-space:pre-wrap">${escapeHtml(m.text)}</pre>`;
        return send(
          200,
          'text/html; charset=utf-8',
          `<!doctype html><meta charset="utf-8"><title>${escapeHtml(m.subject)}</title><body style="font-family:sans-serif;margin:2em">
<p><a href="/">← all messages</a> · <a href="/messages/${id}/raw">raw</a></p>
<h2>${escapeHtml(m.subject)}</h2><p>From: ${escapeHtml(m.from)}<br>To: ${escapeHtml(m.to.join(', '))}<br>Date: ${escapeHtml(m.date)}</p>${body}`,
        );
      }
      if (url.pathname === '/') {
        const rows = (await messages())
          .map((m) => `<tr><td>${escapeHtml(m.date)}</td><td>${escapeHtml(m.to.join(', '))}</td><td><a href="/messages/${m.id}">${escapeHtml(m.subject || '(no subject)')}</a></td></tr>`)
          .join('');
        return send(
          200,
          'text/html; charset=utf-8',
          `<!doctype html><meta charset="utf-8"><title>Dev mail</title><body style="font-family:sans-serif;margin:2em">
<h1>Dev mail</h1><p>SMTP: smtp://${LOCALHOST}:${smtpPort} · stored in ${escapeHtml(dir)} · <a href="/api/messages">JSON</a></p>
<table cellpadding="6" border="1" style="border-collapse:collapse"><tr><th>Date</th><th>To</th><th>Subject</th></tr>${rows || '<tr><td colspan="3">No messages yet</td></tr>'}</table>`,
        );
      }
      return send(404, 'text/plain', 'not found');
    })().catch((error: Error) => send(500, 'text/plain', error.message));
  });

  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(smtpPort, LOCALHOST, () => {
      smtp.off('error', reject);
      smtp.on('error', (error) => log(`SMTP error: ${error.message}`));
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    web.once('error', reject);
    web.listen(webPort, LOCALHOST, () => resolve());
  });

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      web.closeAllConnections();
      await new Promise<void>((resolve) => web.close(() => resolve()));
    })());

  return {
    smtpUrl: `smtp://${LOCALHOST}:${smtpPort}`,
    webUrl,
    smtpPort,
    webPort,
    dir,
    messages,
    clear,
    stop,
  };
}
