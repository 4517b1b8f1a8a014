import http from 'node:http';
import type { Registry } from 'prom-client';

/**
 * The operator's scrape endpoint: GET /metrics with every tenant's numbers, on its own port (METRICS_PORT) so it
 * can stay on a private network while the API is public. Nothing else is served there.
 */
export function startMetricsServer(registry: Registry, port: number, onError: (error: unknown) => void): http.Server {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry
      .metrics()
      .then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text))
      .catch((error: unknown) => {
        onError(error);
        res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '5' }).end('metrics unavailable\n');
      });
  });
  server.listen(port);
  return server;
}
