/**
 * The two ways a path is driven. Open loop: a fixed offered rate, each credit sent on schedule whatever the
 * system does (no coordinated omission), for send→commit latency below saturation. Closed loop: `concurrency`
 * credits in flight, each slot sending its next credit when the last one's row committed, for credits/s at saturation.
 */
import type { CommitBoard, Credit } from './credit.js';

/** A credit whose row has not committed after this long counts as failed and frees its slot. */
const COMMIT_TIMEOUT_MS = 30_000;

export interface LoopRun {
  /** Credits sent in this run (a failed send included). */
  sent: Credit[];
  /** The measured window, performance.now() ms: ends early if the prepared pool ran out. */
  windowStart: number;
  windowEnd: number;
  exhausted: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

function send(credit: Credit): Promise<void> {
  return credit.deliver().catch((error: unknown) => {
    credit.failure = message(error);
  });
}

/** Waits until every sent credit committed, failed or timed out. */
async function drain(board: CommitBoard, sent: Credit[], acks: Array<Promise<void>>): Promise<void> {
  await Promise.all(acks);
  await Promise.all(sent.filter((c) => c.failure === undefined).map((c) => board.waitFor(c, COMMIT_TIMEOUT_MS)));
}

export async function openLoop(pool: Credit[], board: CommitBoard, ratePerSec: number, durationSec: number): Promise<LoopRun> {
  const sent: Credit[] = [];
  const acks: Array<Promise<void>> = [];
  const windowStart = performance.now();
  const end = windowStart + durationSec * 1000;
  let exhausted = false;
  for (let i = 0; ; i++) {
    const due = windowStart + (i * 1000) / ratePerSec;
    if (due >= end) break;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const credit = pool.shift();
    if (!credit) {
      exhausted = true;
      break;
    }
    sent.push(credit);
    acks.push(send(credit));
  }
  const windowEnd = Math.min(end, performance.now());
  await drain(board, sent, acks);
  return { sent, windowStart, windowEnd, exhausted };
}

export async function closedLoop(pool: Credit[], board: CommitBoard, concurrency: number, durationSec: number): Promise<LoopRun> {
  const sent: Credit[] = [];
  const acks: Array<Promise<void>> = [];
  const windowStart = performance.now();
  const end = windowStart + durationSec * 1000;
  let exhaustedAt: number | undefined;
  const slot = async () => {
    while (performance.now() < end) {
      const credit = pool.shift();
      if (!credit) {
        exhaustedAt ??= performance.now();
        return;
      }
      sent.push(credit);
      const ack = send(credit);
      acks.push(ack);
      await ack;
      if (credit.failure === undefined) await board.waitFor(credit, COMMIT_TIMEOUT_MS);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, slot));
  const windowEnd = Math.min(end, exhaustedAt ?? end);
  await drain(board, sent, acks);
  return { sent, windowStart, windowEnd, exhausted: exhaustedAt !== undefined };
}
