/** Work keyed by Stripe account uses this key for the platform account itself (no Stripe-Account header). */
export const PLATFORM_ACCOUNT = 'platform';
