import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpListener {
  url: string;
  mails: ParsedMail[];
  /** While true, a received mail is kept but not acknowledged until `release()` (a sender that dies meanwhile). */
  hold: boolean;
  release(): void;
  stop(): Promise<void>;
}

export async function startSmtpListener(): Promise<SmtpListener> {
  const mails: ParsedMail[] = [];
  const held: Array<() => void> = [];
  const listener: SmtpListener = {
    url: '',
    mails,
    hold: false,
    release: () => held.splice(0).forEach((ack) => ack()),
    stop: async () => undefined,
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          mails.push(mail);
          if (listener.hold) held.push(() => callback());
          else callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  listener.url = `smtp://127.0.0.1:${port}`;
  listener.stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return listener;
}

export interface CapturedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  form: Record<string, string>;
  status: number;
}

/** Forwards to Prism and records what the Twilio SDK sent (Prism answers with a fixed example, it does not echo). */
export async function startCapturingProxy(target: string): Promise<{ url: string; requests: CapturedRequest[]; stop(): Promise<void> }> {
  const requests: CapturedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers = { ...req.headers } as Record<string, string>;
      delete headers.host;
      fetch(`${target}${req.url}`, { method: req.method, headers, body: body.length > 0 ? body : undefined })
        .then(async (upstream) => {
          const text = await upstream.text();
          requests.push({
            method: req.method ?? '',
            path: req.url ?? '',
            authorization: req.headers.authorization,
            form: Object.fromEntries(new URLSearchParams(body.toString('utf8'))),
            status: upstream.status,
          });
          res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
          res.end(text);
        })
        .catch((error: Error) => {
          res.writeHead(502);
          res.end(error.message);
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
