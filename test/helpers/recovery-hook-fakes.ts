import type { RecoveryHookActivities } from '../../activities/recovery-hooks.js';

/** Stand-ins for the recovery seams of the invoice and subscription workflows, recording what they were asked. */
export function fakeRecoveryHooks(calls: Array<{ name: string; input: unknown }>): RecoveryHookActivities {
  return {
    async startInvoiceRecovery(input) {
      calls.push({ name: 'startInvoiceRecovery', input });
      return 'started';
    },
    async startSubscriptionInvoiceRecovery(input) {
      calls.push({ name: 'startSubscriptionInvoiceRecovery', input });
      return 'started';
    },
    async notifyItemPaid(input) {
      calls.push({ name: 'notifyItemPaid', input });
      return 'signalled';
    },
  };
}
