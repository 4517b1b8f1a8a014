import { ApplicationFailure } from '@temporalio/workflow';

export function rejection(type: string, message: string, details?: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: details ? [details] : undefined });
}

/** The message and type of whatever an activity failed with, for the caller. */
export function describeFailure(error: unknown): { message: string; type?: string } {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    if (current instanceof ApplicationFailure) return { message: current.message, type: current.type ?? undefined };
    current = (current as { cause?: unknown }).cause;
  }
  return { message: error instanceof Error ? error.message : String(error) };
}
