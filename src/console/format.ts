import { formatMinorUnits } from '../domain/money.js';

/** "120.00 USD", "3000 JPY", "5.000 KWD": minor units with the currency's exponent, exact (no floating point). */
export function money(amount: number, currency: string): string {
  return `${formatMinorUnits(amount, currency)} ${currency.toUpperCase()}`;
}

export function percent(rate: number | null): string {
  return rate === null ? '–' : `${(rate * 100).toFixed(1)}%`;
}

export function dateTime(iso: string | null): string {
  if (!iso) return '–';
  const date = new Date(iso);
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function ago(iso: string, now = Date.now()): string {
  const minutes = Math.round((now - Date.parse(iso)) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 120) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.round(hours / 24)} days ago`;
}

/** UTC calendar day of a date, YYYY-MM-DD. */
export const isoDay = (date: Date) => date.toISOString().slice(0, 10);

/** The last `days` UTC days up to today: as days (the series) and as [from, to) datetimes (the summary). */
export function lastDays(days: number, now = new Date()): { fromDay: string; toDay: string; from: string; to: string } {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const first = new Date(today - (days - 1) * 86_400_000);
  return { fromDay: isoDay(first), toDay: isoDay(new Date(today)), from: first.toISOString(), to: new Date(today + 86_400_000).toISOString() };
}
