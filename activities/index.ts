import { createTopUpActivities, type TopUpActivityDeps } from './topup.js';

export type ActivityDeps = TopUpActivityDeps;

/** Every activity gets its clients from here, so tests can hand in their own. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createTopUpActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
