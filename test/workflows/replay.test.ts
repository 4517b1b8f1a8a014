import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/tools/resolve.js';
import { workflowBundleOption } from '../helpers/temporal.js';

const HISTORIES = path.join(PROJECT_ROOT, 'test', 'histories');

/**
 * Histories recorded from real runs (RECORD_HISTORIES=1 npx vitest run test/integration/top-up.test.ts).
 * Replaying them against today's workflow code fails on any non-deterministic change that lacks patched().
 */
describe('replay of recorded workflow histories', () => {
  const files = readdirSync(HISTORIES).filter((file) => file.endsWith('.json'));

  it('has recorded TopUp histories to replay', () => {
    expect(files).toEqual(expect.arrayContaining(['topup-credited.json', 'topup-redelivered-after-close.json']));
  });

  for (const file of files) {
    it(`replays ${file} deterministically`, async () => {
      const history = historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')));
      await expect(Worker.runReplayHistory(workflowBundleOption(), history, `replay-${file}`)).resolves.toBeUndefined();
    });
  }
});
