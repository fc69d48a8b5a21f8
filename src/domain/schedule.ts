import { CairnError } from '../protocol/errors.ts';
import {
  WEEK_DAYS,
  parseCron,
  parseLocalDateTime,
  resolveTimeZone,
  type ComputeSchedules,
  type ComputeStartStopSchedule,
  type CronTrigger,
  type RecurrencePattern,
  type RecurrenceTrigger,
} from '../protocol/compute-schedule.ts';

/**
 * When a compute instance's start/stop schedules fire. Pure: no I/O, the clock is an argument.
 *
 * Schedules run on the wall clock of their time zone, at whole minutes:
 * - a local time that does not exist (the hour skipped when clocks go forward) does not fire;
 * - a local time that exists twice (the hour repeated when clocks go back) fires once, at its first
 *   occurrence. This holds for minute and hour recurrences too: they count wall-clock minutes and
 *   hours, so the repeated hour is not fired a second time.
 * - start_time, local time in time_zone unless it carries 'Z' or an offset, is a lower bound:
 *   nothing fires before it. A start_time inside a skipped hour means the moment the clocks jump
 *   (02:30 on a spring-forward night is 03:30 new time); one inside a repeated hour, the first.
 *
 * Recurrences are counted from an anchor: start_time truncated to the minute, or, without one,
 * 1970-01-01T00:00 local time. Every `interval`-th minute, hour, day, week or month counted from
 * the anchor's one is eligible, and within it the pattern picks the times:
 * - hours and minutes default to the anchor's (for an hour recurrence only minutes do; a minute
 *   recurrence fires at each eligible minute, hours and minutes then only filter);
 * - the day: a week recurrence without week_days and month_days fires on the anchor's week day,
 *   a month recurrence without them on the anchor's day of the month (none in months too short
 *   for it); otherwise week_days and month_days filter the days, for any frequency.
 * - Weeks are ISO weeks, Monday to Sunday. `frequency: week, interval: 2` fires in the week that
 *   holds start_time and every other week after it; without start_time, in the week holding
 *   1970-01-01 (Monday 1969-12-29) and every other week after that, so the parity of a biweekly
 *   schedule never depends on when it was saved.
 */

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const DAY_MINUTES = 1440;
/** Days looked at before a schedule is judged never to fire (e.g. '0 0 30 2 *'): over a century. */
const MAX_DAYS_VISITED = 40_000;

const mod = (a: number, n: number): number => ((a % n) + n) % n;

// ---- calendar: local days numbered from 1970-01-01 --------------------------------------------

const civil = (day: number) => {
  const d = new Date(day * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, dom: d.getUTCDate() };
};
/** 0 for Sunday, as in cron; 1970-01-01 was a Thursday. */
const weekday = (day: number): number => mod(day + 4, 7);
const mondayOf = (day: number): number => day - mod(weekday(day) - 1, 7);
const monthNumber = (day: number): number => {
  const c = civil(day);
  return c.year * 12 + c.month - 1;
};
const firstDayOfMonth = (monthNo: number): number => Date.UTC(Math.floor(monthNo / 12), mod(monthNo, 12), 1) / DAY_MS;

// ---- time zones ------------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, f);
  }
  return f;
}

/** The wall clock of `zone` at instant t, as milliseconds of a UTC date with the same fields. */
function wallAt(zone: string, t: number): number {
  if (zone === 'UTC') return t;
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + mod(t, 1000);
}
const offsetAt = (zone: string, t: number): number => wallAt(zone, t) - t;

/** The instants at which the wall clock of `zone` reads `wall`: none in a skipped hour, two in a repeated one. */
function instantsOf(zone: string, wall: number): number[] {
  const offsets = new Set([offsetAt(zone, wall - DAY_MS), offsetAt(zone, wall), offsetAt(zone, wall + DAY_MS)]);
  const found = [...offsets].map((o) => wall - o).filter((t) => wallAt(zone, t) === wall);
  return [...new Set(found)].sort((a, b) => a - b);
}

/** Minute of local day `day` -> the instant it first occurs, or null when the clocks skip it. */
function dayClock(zone: string, day: number): (minute: number) => number | null {
  const midnight = day * DAY_MS;
  // The local day lies within [midnight - 14h, midnight + 36h]; the same offset on both sides of
  // that stretch means no clock change inside it.
  let lo = midnight - DAY_MS;
  let hi = midnight + 2 * DAY_MS;
  const before = offsetAt(zone, lo);
  const after = offsetAt(zone, hi);
  if (before === after) return (m) => midnight + m * MINUTE_MS - before;
  // One change: find its instant (to the millisecond), then each wall time is read with the
  // offset of the side of the change it falls on; neither side in a skipped hour, both in a repeated one.
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(zone, mid) === before) lo = mid;
    else hi = mid;
  }
  const change = hi;
  return (m) => {
    const wall = midnight + m * MINUTE_MS;
    const early = wall - before;
    if (early < change) return early;
    const late = wall - after;
    return late >= change ? late : null;
  };
}

// ---- plans: which minutes of which local days fire ------------------------------------------

interface Plan {
  zone: string;
  /** The instant of start_time; nothing fires before it. */
  start: number | null;
  /** The minutes of local day `day` (from its midnight) at which the schedule fires, ascending. */
  minutesOf(day: number): readonly number[];
  /** The next day after `day` that can fire: day + 1, or further when whole periods are skipped. */
  after(day: number): number;
}

function zoneOf(name: string): string {
  const zone = resolveTimeZone(name);
  if (!zone) throw new CairnError('ValidationError', `unknown time zone '${name}'`);
  return zone;
}

/** start_time as an instant, and as the wall-clock minute recurrences count from. */
function startOf(text: string | undefined, zone: string): { instant: number; wallMinute: number } | null {
  if (text === undefined) return null;
  const p = parseLocalDateTime(text);
  if (!p) throw new CairnError('ValidationError', `start_time '${text}' is not a date and time like '2024-03-10T21:21:07'`);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second, p.millisecond);
  if (p.offsetMinutes !== null) {
    const instant = wall - p.offsetMinutes * MINUTE_MS;
    return { instant, wallMinute: Math.floor(wallAt(zone, instant) / MINUTE_MS) };
  }
  // In a skipped hour: read with the offset from before the change, i.e. the moment the clocks jump.
  const instant = instantsOf(zone, wall)[0] ?? wall - offsetAt(zone, wall - DAY_MS);
  return { instant, wallMinute: Math.floor(wall / MINUTE_MS) };
}

function cronPlan(trigger: CronTrigger): Plan {
  const zone = zoneOf(trigger.time_zone);
  const c = parseCron(trigger.expression);
  const times = c.hours.flatMap((h) => c.minutes.map((m) => h * 60 + m));
  const months = new Set(c.months);
  const doms = new Set(c.daysOfMonth);
  const dows = new Set(c.daysOfWeek);
  // Cron's rule: when both day fields are restricted (neither starts with '*'), a day matching
  // either fires ('0 0 1 * MON' is the 1st and every Monday); otherwise both must match.
  const either = !c.dayOfMonthStar && !c.dayOfWeekStar;
  return {
    zone,
    start: startOf(trigger.start_time, zone)?.instant ?? null,
    minutesOf(day) {
      const { month, dom } = civil(day);
      if (!months.has(month)) return [];
      const byDom = doms.has(dom);
      const byDow = dows.has(weekday(day));
      return (either ? byDom || byDow : byDom && byDow) ? times : [];
    },
    after(day) {
      const { year, month } = civil(day);
      return months.has(month) ? day + 1 : firstDayOfMonth(year * 12 + month);
    },
  };
}

const WEEKDAY_NUMBER: Record<string, number> = Object.fromEntries(WEEK_DAYS.map((d, i) => [d, (i + 1) % 7]));

function recurrencePlan(trigger: RecurrenceTrigger): Plan {
  const zone = zoneOf(trigger.time_zone);
  const start = startOf(trigger.start_time, zone);
  const n = trigger.interval;
  const anchor = start?.wallMinute ?? 0;
  const anchorDay = Math.floor(anchor / DAY_MINUTES);
  const anchorHour = Math.floor(mod(anchor, DAY_MINUTES) / 60);
  const anchorMinute = mod(anchor, 60);
  const p: RecurrencePattern = trigger.schedule ?? {};
  const hours = p.hours ? new Set(p.hours) : null;
  const minutes = p.minutes ? new Set(p.minutes) : null;
  const weekDays = p.week_days ? new Set(p.week_days.map((d) => WEEKDAY_NUMBER[d]!)) : null;
  const monthDays = p.month_days ? new Set(p.month_days) : null;
  const daysFiltered = weekDays !== null || monthDays !== null;
  const dayPasses = (day: number): boolean => (!weekDays || weekDays.has(weekday(day))) && (!monthDays || monthDays.has(civil(day).dom));
  const minuteList = [...(minutes ?? [anchorMinute])].sort((a, b) => a - b);
  const times = [...(hours ?? [anchorHour])].sort((a, b) => a - b).flatMap((h) => minuteList.map((m) => h * 60 + m));
  const base = { zone, start: start?.instant ?? null };

  switch (trigger.frequency) {
    case 'minute':
      return {
        ...base,
        minutesOf(day) {
          if (!dayPasses(day)) return [];
          const out: number[] = [];
          const midnight = day * DAY_MINUTES;
          for (let w = midnight + mod(anchor - midnight, n); w < midnight + DAY_MINUTES; w += n) {
            const m = w - midnight;
            if ((!hours || hours.has(Math.floor(m / 60))) && (!minutes || minutes.has(m % 60))) out.push(m);
          }
          return out;
        },
        after: (day) => {
          const next = (day + 1) * DAY_MINUTES;
          return Math.floor((next + mod(anchor - next, n)) / DAY_MINUTES);
        },
      };
    case 'hour': {
      const anchorHourNo = Math.floor(anchor / 60);
      return {
        ...base,
        minutesOf(day) {
          if (!dayPasses(day)) return [];
          const out: number[] = [];
          for (let h = mod(anchorHourNo - day * 24, n); h < 24; h += n) if (!hours || hours.has(h)) for (const m of minuteList) out.push(h * 60 + m);
          return out;
        },
        after: (day) => {
          const next = (day + 1) * 24;
          return Math.floor((next + mod(anchorHourNo - next, n)) / 24);
        },
      };
    }
    case 'day':
      return {
        ...base,
        minutesOf: (day) => (mod(day - anchorDay, n) === 0 && dayPasses(day) ? times : []),
        after: (day) => day + n - mod(day - anchorDay, n),
      };
    case 'week': {
      const firstMonday = mondayOf(anchorDay);
      const weekNo = (day: number) => Math.floor((day - firstMonday) / 7);
      const anchorWeekday = weekday(anchorDay);
      return {
        ...base,
        minutesOf: (day) =>
          mod(weekNo(day), n) === 0 && (daysFiltered ? dayPasses(day) : weekday(day) === anchorWeekday) ? times : [],
        after: (day) => {
          const k = weekNo(day);
          return mod(k, n) === 0 ? day + 1 : firstMonday + 7 * (k + n - mod(k, n));
        },
      };
    }
    case 'month': {
      const anchorMonth = monthNumber(anchorDay);
      const anchorDom = civil(anchorDay).dom;
      return {
        ...base,
        minutesOf: (day) =>
          mod(monthNumber(day) - anchorMonth, n) === 0 && (daysFiltered ? dayPasses(day) : civil(day).dom === anchorDom) ? times : [],
        after: (day) => {
          const k = monthNumber(day) - anchorMonth;
          return mod(k, n) === 0 ? day + 1 : firstDayOfMonth(anchorMonth + k + n - mod(k, n));
        },
      };
    }
  }
}

const planOf = (schedule: ComputeStartStopSchedule): Plan =>
  schedule.trigger.type === 'cron' ? cronPlan(schedule.trigger) : recurrencePlan(schedule.trigger);

// ---- the public functions --------------------------------------------------------------------

/**
 * The first instant strictly after `after` at which `schedule` fires, or null when it never will
 * (disabled, or a date that never comes, like '0 0 30 2 *').
 */
export function nextFire(schedule: ComputeStartStopSchedule, after: Date): Date | null {
  if (schedule.state === 'disabled') return null;
  const plan = planOf(schedule);
  const from = Math.max(after.getTime() + 1, plan.start ?? -Infinity);
  let day = Math.floor(wallAt(plan.zone, from) / DAY_MS);
  for (let visited = 0; visited < MAX_DAYS_VISITED; visited++) {
    const minutes = plan.minutesOf(day);
    if (minutes.length > 0) {
      const clock = dayClock(plan.zone, day);
      for (const m of minutes) {
        const t = clock(m);
        if (t !== null && t >= from) return new Date(t);
      }
    }
    day = plan.after(day);
  }
  return null;
}

/** The last instant in (from, to] at which the schedule fires, or null. Walks back day by day. */
function lastFire(plan: Plan, from: number, to: number): number | null {
  const lowest = Math.max(from + 1, plan.start ?? -Infinity);
  if (lowest > to) return null;
  const firstDay = Math.floor(wallAt(plan.zone, lowest) / DAY_MS);
  for (let day = Math.floor(wallAt(plan.zone, to) / DAY_MS); day >= firstDay; day--) {
    const minutes = plan.minutesOf(day);
    if (minutes.length === 0) continue;
    const clock = dayClock(plan.zone, day);
    for (let i = minutes.length - 1; i >= 0; i--) {
      const t = clock(minutes[i]!);
      if (t === null || t > to) continue;
      // Wall-clock order is time order (a repeated hour counts once), so nothing earlier qualifies.
      return t >= lowest ? t : null;
    }
  }
  return null;
}

export interface DueAction {
  action: ComputeStartStopSchedule['action'];
  at: Date;
  /** The schedule's place in compute_start_stop. */
  index: number;
}

/**
 * The actions due in (from, to], in time order (then by index): for each enabled schedule, its
 * LATEST fire in the window only. A reconciler calls this with its last tick and now; after the
 * server was down for days it therefore fires each schedule once, not every start and stop it
 * missed, and applying the actions in order leaves the compute as the most recent one says.
 */
export function dueActions(schedules: ComputeSchedules, from: Date, to: Date): DueAction[] {
  const out: DueAction[] = [];
  schedules.compute_start_stop.forEach((schedule, index) => {
    if (schedule.state === 'disabled') return;
    const t = lastFire(planOf(schedule), from.getTime(), to.getTime());
    if (t !== null) out.push({ action: schedule.action, at: new Date(t), index });
  });
  return out.sort((a, b) => a.at.getTime() - b.at.getTime() || a.index - b.index);
}
