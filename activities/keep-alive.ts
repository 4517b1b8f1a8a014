import { Context } from '@temporalio/activity';

type ActivityFunction = (...args: never[]) => unknown;

/** How often a running activity tells Temporal it is alive; the workflows' heartbeat timeout is a few times this. */
export const KEEP_ALIVE_EVERY_MS = 2_000;

/** The running activity's context; undefined when called as a plain function (tests call activities directly). */
function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * Every activity heartbeats while it runs, so an activity on a worker that crashed is retried after the heartbeat
 * timeout (10 s) instead of its whole start-to-close timeout. Activities that heartbeat with their own progress
 * details (named in `selfReporting`) are left alone: an empty heartbeat would overwrite their resume point.
 */
export function keepAlive<T extends Record<string, ActivityFunction>>(activities: T, selfReporting: ReadonlySet<string>): T {
  const wrapped = Object.entries(activities).map(([name, activity]) => {
    if (selfReporting.has(name)) return [name, activity] as const;
    const run = async (...args: never[]) => {
      const context = currentContext();
      const timer = context ? setInterval(() => context.heartbeat(), KEEP_ALIVE_EVERY_MS) : undefined;
      try {
        return await activity(...args);
      } finally {
        clearInterval(timer);
      }
    };
    Object.defineProperty(run, 'name', { value: name });
    return [name, run] as const;
  });
  return Object.fromEntries(wrapped) as T;
}
