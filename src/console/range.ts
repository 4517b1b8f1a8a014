import { h } from './dom.js';

export const RANGES = [30, 90, 365] as const;
export type RangeDays = (typeof RANGES)[number];

/** Buttons choosing the last 30/90/365 days (aria-pressed on the chosen one). */
export function rangePicker(current: RangeDays, choose: (days: RangeDays) => void): HTMLElement {
  return h(
    'div',
    { class: 'range', role: 'group', 'aria-label': 'Range' },
    ...RANGES.map((days) => h('button', { type: 'button', 'aria-pressed': String(days === current), onclick: () => choose(days) }, `Last ${days} days`)),
  );
}
