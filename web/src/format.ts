import type { Money, Package, Policy, Service } from './api';

/** Dates and times read like "Tue 3 March, 10:00" (24 h), in a zone the caller names. */
const LOCALE = 'en-GB';

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${timeZone}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(LOCALE, { timeZone, ...options });
    formatters.set(key, f);
  }
  return f;
}

export function formatTime(instant: string | Date, timeZone: string): string {
  return formatter(timeZone, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(instant));
}

/** "Tue 3 March" */
export function formatDay(instant: string | Date, timeZone: string): string {
  return formatter(timeZone, { weekday: 'short', day: 'numeric', month: 'long' }).format(new Date(instant)).replace(',', '');
}

/** "Tue 3 Mar" */
export function formatDayShort(instant: string | Date, timeZone: string): string {
  return formatter(timeZone, { weekday: 'short', day: 'numeric', month: 'short' }).format(new Date(instant)).replace(',', '');
}

/** "3 March 2026" */
export function formatDate(instant: string | Date, timeZone: string): string {
  return formatter(timeZone, { day: 'numeric', month: 'long', year: 'numeric' }).format(new Date(instant));
}

/** "Tue 14:00" — a moment within the coming week. */
export function formatWeekdayTime(instant: string | Date, timeZone: string): string {
  return `${formatter(timeZone, { weekday: 'short' }).format(new Date(instant))} ${formatTime(instant, timeZone)}`;
}

/** "Tue 3 March, 10:00–11:00" */
export function formatRange(start: string, end: string, timeZone: string): string {
  return `${formatDay(start, timeZone)}, ${formatTime(start, timeZone)}–${formatTime(end, timeZone)}`;
}

/** "Tue 3 March 2026, 10:00" */
export function formatDateTime(instant: string | Date, timeZone: string): string {
  return `${formatDay(instant, timeZone)} ${formatter(timeZone, { year: 'numeric' }).format(new Date(instant))}, ${formatTime(instant, timeZone)}`;
}

export function formatMoney(money: Money): string {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency: money.currency }).resolvedOptions().maximumFractionDigits ?? 2;
  const value = money.amount / 10 ** digits;
  const whole = Number.isInteger(value);
  return new Intl.NumberFormat('en', {
    style: 'currency',
    currency: money.currency,
    minimumFractionDigits: whole ? 0 : digits,
    maximumFractionDigits: digits,
  }).format(value);
}

/** Minor units from what a person typed ("90", "90.50"); null when it is not an amount. */
export function parseMoney(text: string, currency: string): number | null {
  const cleaned = text.trim().replace(/[^0-9.,]/g, '').replace(',', '.');
  if (cleaned === '' || !/^\d+(\.\d{0,3})?$/.test(cleaned)) return null;
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  return Math.round(Number(cleaned) * 10 ** digits);
}

export function moneyInput(money: Money | null): string {
  if (!money) return '';
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency: money.currency }).resolvedOptions().maximumFractionDigits ?? 2;
  const value = money.amount / 10 ** digits;
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function credits(n: number): string {
  return plural(n, 'credit');
}

/** "valid 6 months", "never expires" */
export function validityText(days: number | null): string {
  if (days === null) return 'never expires';
  if (days % 365 === 0) return `valid ${plural(days / 365, 'year')}`;
  if (days % 30 === 0) return `valid ${plural(days / 30, 'month')}`;
  if (days % 7 === 0) return `valid ${plural(days / 7, 'week')}`;
  return `valid ${plural(days, 'day')}`;
}

/** "5 sessions · $400 · valid 6 months" (credits when a session may cost more than one). */
export function packageLine(pkg: Package, sessionsMode: boolean): string {
  const amount = sessionsMode ? plural(pkg.credits, 'session') : credits(pkg.credits);
  return `${amount} · ${formatMoney(pkg.price)} · ${validityText(pkg.validityDays)}`;
}

export function durationText(minutes: number): string {
  if (minutes < 60 || minutes % 60 !== 0) return minutes > 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
  return `${minutes / 60} h`;
}

export function windowText(hours: number): string {
  if (hours === 0) return 'the start';
  if (hours % 24 === 0 && hours > 24) return `${hours / 24} days before`;
  return `${hours} h before`;
}

/** The policy in one sentence: "Free cancellation until 24 h before; later, the credit is used." */
export function policySentence(policy: Policy): string {
  if (policy.lateCancel === 'none' || policy.windowHours === 0) return 'Free cancellation until the session starts.';
  const first = `Free cancellation until ${windowText(policy.windowHours)}`;
  if (policy.lateCancel === 'fee') {
    return `${first}; later, a ${policy.lateCancelFee ? formatMoney(policy.lateCancelFee) : ''} fee applies and the credit comes back.`.replace('a  fee', 'a fee');
  }
  return `${first}; later, the credit is used.`;
}

/** True when every active service costs one credit: then credits read as "sessions". */
export function sessionsMode(services: Pick<Service, 'creditCost' | 'active'>[]): boolean {
  return services.filter((s) => s.active).every((s) => s.creditCost === 1);
}

export function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join('');
}

// ---- Calendar days in a time zone (dates are YYYY-MM-DD strings) ----

export function zonedParts(instant: Date, timeZone: string) {
  const parts = formatter(timeZone, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour') % 24, minute: get('minute'), second: get('second') };
}

const pad = (n: number) => String(n).padStart(2, '0');

export function dateKey(instant: string | Date, timeZone: string): string {
  const p = zonedParts(new Date(instant), timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

export function todayIn(timeZone: string, now: Date = new Date()): string {
  return dateKey(now, timeZone);
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** 1 = Monday … 7 = Sunday */
export function weekdayOf(date: string): number {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day === 0 ? 7 : day;
}

/** The instant a wall-clock time on a date happens in a zone (the later one in a DST gap). */
export function zonedToInstant(date: string, time: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm] = time.split(':').map(Number) as [number, number];
  const target = Date.UTC(y, m - 1, d, hh, mm);
  let guess = target;
  for (let i = 0; i < 3; i++) {
    const p = zonedParts(new Date(guess), timeZone);
    const seen = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
    const diff = target - seen;
    if (diff === 0) break;
    guess += diff;
  }
  return new Date(guess);
}

export function monthLabel(year: number, month: number): string {
  return new Intl.DateTimeFormat(LOCALE, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(year, month - 1, 1)));
}

export function dayLabel(date: string): string {
  return new Intl.DateTimeFormat(LOCALE, { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format(new Date(`${date}T12:00:00Z`)).replace(',', '');
}

export function detectTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

export function allTimeZones(): string[] {
  try {
    const zones = Intl.supportedValuesOf('timeZone');
    return zones.includes('UTC') ? zones : ['UTC', ...zones];
  } catch {
    return ['UTC', 'Europe/London', 'Europe/Berlin', 'America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Asia/Tokyo', 'Australia/Sydney'];
  }
}

export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
