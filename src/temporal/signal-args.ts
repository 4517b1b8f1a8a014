import type { SignalDefinition } from '@temporalio/common';

/** The argument tuple of a signal definition: names signalWithStart's second type parameter from messages.ts alone. */
export type SignalArgs<S> = S extends SignalDefinition<infer Args> ? Args : never;
