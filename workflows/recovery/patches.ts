/**
 * Version 2 re-reads the tenant's schedule before planning each step, so schedule changes (PUT
 * /v1/admin/recovery-schedule) reach campaigns already running. Campaigns whose history predates it keep the
 * schedule they started with; test/histories/recovery-*.json were recorded before it and must still replay.
 */
export const SCHEDULE_REFRESH_PATCH = 'recovery-schedule-refresh-v2';

/**
 * Version 3 sends each item's own instrument (getPaymentLink may answer `settled`, or name Stripe's next automatic
 * retry) and releases a transaction's link when the campaign ends unpaid. Older histories took neither branch.
 */
export const ITEM_INSTRUMENT_PATCH = 'recovery-item-instrument-v3';

/**
 * A campaign whose recordCampaign or loadSchedule is refused for good (a non-retryable failure: metadata PostgreSQL
 * cannot store, say) ends cancelled with cancelReason `invalid input: <type>: <message>`; before, the workflow failed.
 */
export const REJECTED_INPUT_PATCH = 'recovery-rejected-input';

/**
 * Fewer billed actions: search attributes upserted only when they change, the schedule read by recordCampaign (and
 * re-read by sendStep for the next step) instead of separate loadSchedule activities.
 */
export const LEAN_ACTIONS_PATCH = 'recovery-lean-actions';

/**
 * One activity per step: sendStepWithLink resolves the item's link and sends on it (instead of getPaymentLink then
 * sendStep), and a step due right away runs without first writing (and upserting) the plan it replaces seconds later.
 */
export const ONE_ACTIVITY_PER_STEP_PATCH = 'recovery-one-activity-per-step';
