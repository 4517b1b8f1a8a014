import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/tools/resolve.js';
import { workflowBundleOption } from '../helpers/temporal.js';

const HISTORIES = path.join(PROJECT_ROOT, 'test', 'histories');

/**
 * Histories recorded from real runs; replaying them against today's workflow code fails on any non-deterministic
 * change that lacks patched(). Re-record a kind only when a change is meant to alter its histories (keep the old
 * file if runs started before the change must still replay), with RECORD_HISTORIES=1 and the test that writes it:
 *   topup-*.json         RECORD_HISTORIES=1 npx vitest run test/integration/top-up.test.ts (recorded before payload
 *                        encryption; the integration stack now encrypts payloads, which this replay cannot decode)
 *   topup-credited-lean-actions.json  RECORD_HISTORIES=1 npx vitest run test/workflows/top-up.test.ts
 *   subscription-cycle-paid.json      RECORD_HISTORIES=1 npx vitest run test/workflows/subscription-cycle-paid.test.ts
 *   recovery-*.json      RECORD_HISTORIES=1 npx vitest run test/workflows/recovery.test.ts
 *   invoice-*.json       RECORD_HISTORIES=1 npx vitest run test/workflows/invoice.test.ts
 *   subscription-*.json  RECORD_HISTORIES=1 npx vitest run test/workflows/subscription.test.ts
 *   order-*.json         RECORD_HISTORIES=1 npx vitest run test/workflows/order.test.ts
 *   transaction-*.json   RECORD_HISTORIES=1 npx vitest run test/integration/recovery-settlement.test.ts
 * Add `-t '<test name>'` to write only the new file: the others must stay as recorded before later patches.
 * The workflow tests write through recordHistory() in test/helpers/temporal.ts.
 */
describe('replay of recorded workflow histories', () => {
  const files = readdirSync(HISTORIES).filter((file) => file.endsWith('.json'));

  it('has recorded histories to replay for each workflow type (TopUp, Recovery, Invoice, Subscription, Order, Transaction)', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'topup-credited.json',
        'topup-redelivered-after-close.json',
        'recovery-full-schedule.json',
        'recovery-paid-day-2.json',
        'recovery-operator-actions.json',
        'invoice-overdue-then-paid.json',
        'invoice-due-date-overdue.json',
        'subscription-payment-failed-then-recovered.json',
        'subscription-cancel-at-period-end.json',
        'subscription-created-after-updated-same-second.json',
        'subscription-redelivered-while-applying.json',
        'subscription-activity-failed-nonretryable.json',
        'order-paid-partially-refunded.json',
        'recovery-waits-for-stripe-retry.json',
        'recovery-no-page-link-released.json',
        'invoice-second-payment-refunded.json',
        'transaction-settled-then-excess-refunded.json',
      ]),
    );
  });

  for (const file of files) {
    it(`replays ${file} deterministically`, async () => {
      const history = historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')));
      await expect(Worker.runReplayHistory(workflowBundleOption(), history, `replay-${file}`)).resolves.toBeUndefined();
    });
  }
});
