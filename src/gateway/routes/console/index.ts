import { Router, type Response } from 'express';
import type { Config } from '../../../config.js';
import type { Logger } from '../../../logger.js';
import { HttpProblem } from '../../problem.js';
import { buildConsoleAssets, type ConsoleAssets } from './build.js';
import { consolePage } from './page.js';

export const CONSOLE_PATH = '/console';

/**
 * The operator console (src/console/): a page, a script and a stylesheet, all public (they hold no data); the
 * script asks for an admin API key, keeps it in sessionStorage (this tab only) and calls the admin API with it.
 * The bundle is built once when the router is created; requests wait for it.
 */
export function consoleRoutes({ config, log }: { config: Pick<Config, 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE'>; log: Logger }): Router {
  const assets: Promise<ConsoleAssets | undefined> = buildConsoleAssets().catch((error: unknown) => {
    log.error({ err: error }, 'operator console: build failed');
    return undefined;
  });
  const html = consolePage({ temporalUiUrl: config.TEMPORAL_UI_URL, namespace: config.TEMPORAL_NAMESPACE });
  const router = Router();
  const send = (res: Response, type: string, body: string) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.type(type).send(body);
  };
  const built = async () => {
    const ready = await assets;
    if (!ready) throw new HttpProblem(500, 'console_unavailable', 'The console could not be built; see the gateway log.');
    return ready;
  };

  router.get(CONSOLE_PATH, (_req, res) => send(res, 'html', html));
  router.get(`${CONSOLE_PATH}/app.js`, async (_req, res) => send(res, 'application/javascript', (await built()).js));
  router.get(`${CONSOLE_PATH}/style.css`, async (_req, res) => send(res, 'text/css', (await built()).css));
  return router;
}
