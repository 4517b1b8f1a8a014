/**
 * The baseline of the open group: the least a workflow that waits can be. It handles one signal and waits for it
 * or for a long timer, like an invoice waits for its next event or its due date, and does nothing else.
 * Bench only: bundled with the real workflows by bench/open/workflows.ts, never by the production worker.
 */
import { condition, defineSignal, setHandler } from '@temporalio/workflow';

export const EMPTY_LOOP_WORKFLOW_TYPE = 'emptyLoopWorkflow';
export const pokeSignal = defineSignal('poke');

export async function emptyLoopWorkflow(): Promise<void> {
  let pokes = 0;
  setHandler(pokeSignal, () => {
    pokes += 1;
  });
  for (;;) {
    const seen = pokes;
    await condition(() => pokes !== seen, '30 days');
  }
}
