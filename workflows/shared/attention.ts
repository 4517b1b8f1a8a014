import { RetryState } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { AttentionReasonKey, NeedsAttentionKey } from '../../src/domain/search-attributes.js';
import { attentionQuery, NOT_SKIPPABLE, NOTHING_TO_RETRY, retryUpdate, skipUpdate, type AttentionState } from './attention-messages.js';


/** The activity gave up after its retries ran out (time or attempts), as opposed to refusing its input. */
function retriesExhausted(error: unknown): error is ActivityFailure {
  if (!(error instanceof ActivityFailure)) return false;
  if (error.cause instanceof ApplicationFailure && error.cause.nonRetryable) return false;
  return error.retryState === RetryState.TIMEOUT || error.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED;
}

/** The failure's messages from the outside in ("Not enough time to schedule next retry…" wraps the last attempt's error). */
function failureMessages(error: Error): string {
  const messages: string[] = [];
  for (let current: unknown = error.cause; current instanceof Error && messages.length < 5; current = current.cause) {
    if (current.message && !messages.includes(current.message)) messages.push(current.message);
  }
  return messages.length > 0 ? messages.join(' <- ') : error.message;
}

const shorten = (text: string) => (text.length > 500 ? `${text.slice(0, 497)}...` : text);

/**
 * Retries that end in a human step, not a dead letter: an activity whose retries ran out (ACTIVITY_RETRY_MAX_ELAPSED)
 * does not fail the workflow. It records the error, sets NeedsAttention and AttentionReason, and waits for an
 * operator's `retry` or (where the workflow says it is safe) `skip` update. The happy path issues no extra command,
 * so histories recorded before this existed replay unchanged.
 */
export class Attention {
  current: AttentionState | null = null;
  private decision: 'retry' | 'skip' | undefined;

  constructor(private readonly skippable: ReadonlySet<string> = new Set()) {
    setHandler(attentionQuery, () => this.current);
    setHandler(
      retryUpdate,
      () => {
        const activity = this.current!.activity;
        this.decision = 'retry';
        return { activity };
      },
      { validator: () => this.mustBeWaiting() },
    );
    setHandler(
      skipUpdate,
      () => {
        const activity = this.current!.activity;
        this.decision = 'skip';
        return { activity };
      },
      {
        validator: () => {
          this.mustBeWaiting();
          if (!this.current!.skippable) throw ApplicationFailure.nonRetryable(`${this.current!.activity} cannot be skipped safely; retry it instead`, NOT_SKIPPABLE);
        },
      },
    );
  }

  private mustBeWaiting(): void {
    if (!this.current) throw ApplicationFailure.nonRetryable('nothing in this workflow is waiting for an operator', NOTHING_TO_RETRY);
  }

  /** Runs one activity call; after exhausted retries waits for the operator. Undefined only when they skipped it. */
  async run<T>(activity: string, call: () => Promise<T>): Promise<T | undefined> {
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (!retriesExhausted(error)) throw error;
        const attempts = (this.current?.activity === activity ? this.current.attempts : 0) + 1;
        this.current = {
          activity,
          error: shorten(failureMessages(error)),
          attempts,
          skippable: this.skippable.has(activity),
        };
        upsertSearchAttributes([
          { key: NeedsAttentionKey, value: true },
          { key: AttentionReasonKey, value: `retries_exhausted:${activity}` },
        ]);
        await condition(() => this.decision !== undefined);
        const decision = this.decision;
        this.decision = undefined;
        this.current = null;
        upsertSearchAttributes([
          { key: NeedsAttentionKey, value: false },
          { key: AttentionReasonKey, value: 'none' },
        ]);
        if (decision === 'skip') return undefined;
      }
    }
  }

  /** The activities proxy with every call run through {@link run}. */
  wrap<A extends object>(activities: A): A {
    return new Proxy(activities, {
      get: (target, name, receiver) => {
        const value = Reflect.get(target, name, receiver) as unknown;
        if (typeof value !== 'function' || typeof name !== 'string') return value;
        return (...args: unknown[]) => this.run(name, () => (value as (...a: unknown[]) => Promise<unknown>)(...args));
      },
    });
  }
}
