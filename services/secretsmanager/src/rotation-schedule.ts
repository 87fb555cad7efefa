// When a secret rotates next: RotationRules' AutomaticallyAfterDays (1–1000), or ScheduleExpression
// `rate(N days)` (1–1000) / `rate(N hours)` (4–23) / `cron(min hour day-of-month month day-of-week
// year)` in UTC (numbers, names, `*`, `?`, ranges, lists and steps; not L, W or #). The rotation
// window (`Duration`) is recorded only.
import { invalidParameter } from './secrets-errors.js';
import type { RotationRules } from './secrets-store.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number> | null;
  months: Set<number>;
  weekdays: Set<number> | null;
  years: Set<number> | null;
}

function field(text: string, min: number, max: number, names: string[] = [], nameBase = 0): Set<number> | null {
  if (text === '?') return null;
  const out = new Set<number>();
  const value = (t: string): number => {
    const i = names.indexOf(t.toUpperCase());
    const n = i >= 0 ? i + nameBase : Number(t);
    if (!Number.isInteger(n) || n < min || n > max) throw invalidParameter(`Invalid cron expression: ${text}`);
    return n;
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw invalidParameter(`Invalid cron expression: ${text}`);
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [min, max];
    else if (range!.includes('-')) [lo, hi] = range!.split('-').map(value) as [number, number];
    else [lo, hi] = [value(range!), stepText === undefined ? value(range!) : max];
    for (let n = lo; n <= hi; n += step) out.add(n);
  }
  return out;
}

function parseCron(body: string): Cron {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6) throw invalidParameter(`Invalid cron expression: cron(${body}) needs six fields.`);
  const [m, h, dom, mon, dow, year] = parts as [string, string, string, string, string, string];
  if (/[LW#]/.test(dom + dow)) throw invalidParameter(`Unsupported cron expression: cron(${body}) (L, W and # are not supported).`);
  const cron: Cron = {
    minutes: field(m, 0, 59) ?? new Set([0]),
    hours: field(h, 0, 23) ?? new Set([0]),
    days: field(dom, 1, 31),
    months: field(mon, 1, 12, MONTHS, 1) ?? new Set(Array.from({ length: 12 }, (_, i) => i + 1)),
    weekdays: field(dow, 1, 7, WEEKDAYS, 1),
    years: year === '*' ? null : field(year, 1970, 2199),
  };
  if ((cron.days === null) === (cron.weekdays === null)) throw invalidParameter(`Invalid cron expression: cron(${body}): use ? in either day-of-month or day-of-week.`);
  return cron;
}

function nextCron(cron: Cron, from: number): number | null {
  const t = new Date(Math.floor(from / 60_000) * 60_000 + 60_000);
  const limit = from + 5 * 366 * DAY;
  while (t.getTime() <= limit) {
    const dayOk =
      cron.months.has(t.getUTCMonth() + 1) &&
      (cron.years === null || cron.years.has(t.getUTCFullYear())) &&
      (cron.days === null || cron.days.has(t.getUTCDate())) &&
      (cron.weekdays === null || cron.weekdays.has(t.getUTCDay() + 1));
    if (!dayOk) {
      t.setUTCHours(0, 0, 0, 0);
      t.setUTCDate(t.getUTCDate() + 1);
      continue;
    }
    if (!cron.hours.has(t.getUTCHours())) {
      t.setUTCMinutes(0, 0, 0);
      t.setUTCHours(t.getUTCHours() + 1);
      continue;
    }
    if (cron.minutes.has(t.getUTCMinutes())) return t.getTime();
    t.setUTCMinutes(t.getUTCMinutes() + 1);
  }
  return null;
}

/** Checks rules as RotateSecret receives them (InvalidParameterException). */
export function checkRotationRules(rules: RotationRules): void {
  if (rules.AutomaticallyAfterDays !== undefined && rules.ScheduleExpression !== undefined) {
    throw invalidParameter('You cannot specify both rotation frequency and schedule expression together.');
  }
  if (rules.AutomaticallyAfterDays !== undefined && (rules.AutomaticallyAfterDays < 1 || rules.AutomaticallyAfterDays > 1000)) {
    throw invalidParameter('The rotation interval must be between 1 and 1000 days.');
  }
  nextRotation(rules, Date.now());
}

/** The next rotation after `from`; null when the rules name no schedule. */
export function nextRotation(rules: RotationRules | null, from: number): number | null {
  if (!rules) return null;
  if (rules.AutomaticallyAfterDays !== undefined) return from + rules.AutomaticallyAfterDays * DAY;
  const expr = rules.ScheduleExpression?.trim();
  if (!expr) return null;
  const rate = /^rate\((\d+)\s+(hours?|days?)\)$/.exec(expr);
  if (rate) {
    const n = Number(rate[1]);
    const hours = rate[2]!.startsWith('hour');
    if (hours ? n < 4 || n > 23 : n < 1 || n > 1000) throw invalidParameter(`Invalid schedule expression: ${expr}`);
    return from + n * (hours ? HOUR : DAY);
  }
  const cron = /^cron\((.*)\)$/.exec(expr);
  if (!cron) throw invalidParameter(`Invalid schedule expression: ${expr}`);
  const next = nextCron(parseCron(cron[1]!), from);
  if (next === null) throw invalidParameter(`The schedule expression ${expr} has no date in the next five years.`);
  return next;
}
