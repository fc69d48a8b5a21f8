import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_SCHEDULES,
  WINDOWS_TIME_ZONES,
  cronProblem,
  parseCron,
  parseLocalDateTime,
  parseSchedules,
  resolveTimeZone,
  type ComputeStartStopSchedule,
} from '../src/protocol/compute-schedule.ts';
import { CairnError } from '../src/protocol/errors.ts';
import { dueActions, nextFire } from '../src/domain/schedule.ts';

type Obj = Record<string, unknown>;
const cron = (expression: string, extra: Obj = {}): Obj => ({ type: 'cron', expression, ...extra });
const rec = (frequency: string, extra: Obj = {}): Obj => ({ type: 'recurrence', frequency, ...extra });
const one = (trigger: Obj, extra: Obj = {}): Obj => ({ compute_start_stop: [{ action: 'stop', trigger, ...extra }] });
const schedule = (trigger: Obj, extra: Obj = {}): ComputeStartStopSchedule => parseSchedules(one(trigger, extra)).compute_start_stop[0]!;

function rejects(input: unknown, message: string): void {
  assert.throws(
    () => parseSchedules(input),
    (err: unknown) => {
      assert.ok(err instanceof CairnError);
      assert.equal(err.code, 'ValidationError');
      assert.equal(err.message, message);
      assert.ok(!err.message.includes('\n'), 'one line');
      return true;
    },
  );
}
const badTrigger = (trigger: Obj, field: string, message: string) => rejects(one(trigger), `schedules.compute_start_stop[0].trigger.${field}: ${message}`);
const badCron = (expression: string, message: string) => badTrigger(cron(expression), 'expression', message);

/** The next `count` fire times after `after`, each found from the one before. */
function fires(s: ComputeStartStopSchedule, after: string, count: number): string[] {
  const out: string[] = [];
  let t: Date | null = new Date(after);
  while (out.length < count && (t = nextFire(s, t)) !== null) out.push(t.toISOString());
  return out;
}
const next = (s: ComputeStartStopSchedule, after: string): string | null => nextFire(s, new Date(after))?.toISOString() ?? null;

// ---- parsing ---------------------------------------------------------------------------------

describe('parseSchedules: accepted', () => {
  it('reads the YAML Azure writes and fills the defaults: state enabled, time_zone UTC, interval 1', () => {
    const parsed = parseSchedules({
      compute_start_stop: [
        { action: 'stop', state: 'enabled', trigger: cron('0 18 * * 1-5', { start_time: '2024-03-10T21:21:07', time_zone: 'Pacific Standard Time' }) },
        { action: 'start', trigger: rec('day', { interval: 1, schedule: { hours: [8], minutes: [30], week_days: ['Monday', 'Friday'], month_days: [1, 15] } }) },
      ],
    });
    assert.deepEqual(parsed, {
      compute_start_stop: [
        { action: 'stop', state: 'enabled', trigger: { type: 'cron', expression: '0 18 * * 1-5', start_time: '2024-03-10T21:21:07', time_zone: 'Pacific Standard Time' } },
        {
          action: 'start',
          state: 'enabled',
          trigger: { type: 'recurrence', frequency: 'day', interval: 1, schedule: { hours: [8], minutes: [30], week_days: ['Monday', 'Friday'], month_days: [1, 15] }, time_zone: 'UTC' },
        },
      ],
    });
    assert.deepEqual(schedule(rec('hour')).trigger, { type: 'recurrence', frequency: 'hour', interval: 1, time_zone: 'UTC' });
  });

  it('reads words in any case, as Azure does, and keeps Azure spelling', () => {
    const s = schedule(rec('Week', { schedule: { week_days: ['monday', 'SUNDAY'] } }), { action: 'Start', state: 'Disabled' });
    assert.equal(s.action, 'start');
    assert.equal(s.state, 'disabled');
    assert.equal(s.trigger.type, 'recurrence');
    assert.ok(s.trigger.type === 'recurrence' && s.trigger.frequency === 'week');
    assert.deepEqual(s.trigger.type === 'recurrence' && s.trigger.schedule?.week_days, ['Monday', 'Sunday']);
    assert.equal(schedule({ type: 'CRON', expression: '0 0 * * *' }).trigger.type, 'cron');
  });

  it('takes a lone value for a pattern list, and treats null or [] as absent', () => {
    const s = schedule(rec('day', { schedule: { hours: 17, minutes: 30, week_days: 'friday', month_days: null } }));
    assert.deepEqual(s.trigger.type === 'recurrence' && s.trigger.schedule, { hours: [17], minutes: [30], week_days: ['Friday'] });
    const empty = schedule(rec('day', { schedule: { hours: [], minutes: [0] } }));
    assert.deepEqual(empty.trigger.type === 'recurrence' && empty.trigger.schedule, { minutes: [0] });
  });

  it('takes no schedules, and up to four', () => {
    assert.deepEqual(parseSchedules({}), { compute_start_stop: [] });
    assert.deepEqual(parseSchedules({ compute_start_stop: [] }), { compute_start_stop: [] });
    const four = Array.from({ length: MAX_SCHEDULES }, () => ({ action: 'start', trigger: cron('0 8 * * *') }));
    assert.equal(parseSchedules({ compute_start_stop: four }).compute_start_stop.length, 4);
  });

  it('takes start_time with seconds, a fraction, Z or an offset', () => {
    for (const t of ['2024-03-10T21:21', '2024-03-10T21:21:07', '2024-03-10T21:21:07.123', '2024-03-10T21:21:07Z', '2024-03-10T21:21:07+05:30', '2024-03-10T21:21:07-0800'])
      assert.equal(schedule(cron('0 0 * * *', { start_time: t })).trigger.start_time, t);
    assert.deepEqual(parseLocalDateTime('2024-03-10T21:21:07.5+05:30'), { year: 2024, month: 3, day: 10, hour: 21, minute: 21, second: 7, millisecond: 500, offsetMinutes: 330 });
    assert.equal(parseLocalDateTime('2024-03-10T21:21:07')?.offsetMinutes, null);
    assert.equal(parseLocalDateTime('2023-02-29T00:00:00'), null);
    assert.ok(parseLocalDateTime('2024-02-29T00:00:00'));
  });
});

describe('parseSchedules: refused, one line naming the field', () => {
  it('refuses more than four schedules', () => {
    const five = Array.from({ length: 5 }, () => ({ action: 'start', trigger: cron('0 8 * * *') }));
    rejects({ compute_start_stop: five }, 'schedules.compute_start_stop: a compute instance takes at most 4 schedules (found 5)');
  });

  it('refuses a wrong number of cron fields', () => {
    badCron('0 18 * *', 'expected 5 fields: minute hour day-of-month month day-of-week (found 4)');
    badCron('0 0 18 * * 1', 'expected 5 fields: minute hour day-of-month month day-of-week (found 6)');
    badCron('', 'expected 5 fields: minute hour day-of-month month day-of-week (found 0)');
    badCron('@daily', 'expected 5 fields: minute hour day-of-month month day-of-week (found 1)');
  });

  it('refuses cron values out of range, naming the field', () => {
    badCron('60 * * * *', "the minute field '60' is invalid: 60 is out of range 0-59");
    badCron('0 24 * * *', "the hour field '24' is invalid: 24 is out of range 0-23");
    badCron('0 8,25 * * *', "the hour field '8,25' is invalid: 25 is out of range 0-23");
    badCron('0 0 0 * *', "the day-of-month field '0' is invalid: 0 is out of range 1-31");
    badCron('0 0 32 * *', "the day-of-month field '32' is invalid: 32 is out of range 1-31");
    badCron('0 0 * 13 *', "the month field '13' is invalid: 13 is out of range 1-12");
    badCron('0 0 * * 8', "the day-of-week field '8' is invalid: 8 is out of range 0-7");
    badCron('0 0-30 * * *', "the hour field '0-30' is invalid: 30 is out of range 0-23");
  });

  it('refuses bad cron syntax, saying why', () => {
    badCron('*/0 * * * *', "the minute field '*/0' is invalid: the step in '*/0' must be a number of 1 or more");
    badCron('*/x * * * *', "the minute field '*/x' is invalid: the step in '*/x' must be a number of 1 or more");
    badCron('1/2/3 * * * *', "the minute field '1/2/3' is invalid: '1/2/3' has more than one '/'");
    badCron('0 17-9 * * *', "the hour field '17-9' is invalid: the range '17-9' runs backwards (from 17 down to 9)");
    badCron('0 0 * * FRI-MON', "the day-of-week field 'FRI-MON' is invalid: the range 'FRI-MON' runs backwards (from 5 down to 1)");
    badCron('1,,2 * * * *', "the minute field '1,,2' is invalid: it has an empty item");
    badCron('0 9- * * *', "the hour field '9-' is invalid: a number is missing");
    badCron('0 0 * * FUN', "the day-of-week field 'FUN' is invalid: 'FUN' is not a number or a day name (SUN-SAT)");
    badCron('0 0 * JANUARY *', "the month field 'JANUARY' is invalid: 'JANUARY' is not a number or a month name (JAN-DEC)");
    badCron('0 0 MON * *', "the day-of-month field 'MON' is invalid: 'MON' is not a number");
    badCron('0 0 L * *', "the day-of-month field 'L' is invalid: 'L' is not a number");
    badCron('0 0 ? * *', "the day-of-month field '?' is invalid: '?' is not a number");
    badCron('0 0 * * 1#2', "the day-of-week field '1#2' is invalid: '1#2' is not a number or a day name (SUN-SAT)");
    badCron('-5 * * * *', "the minute field '-5' is invalid: '-5' is not a number");
  });

  it('says the same through cronProblem and parseCron', () => {
    assert.equal(cronProblem('0 24 * * *'), "the hour field '24' is invalid: 24 is out of range 0-23");
    assert.equal(cronProblem('0 23 * * *'), null);
    assert.throws(() => parseCron('0 24 * * *'), (e: unknown) => e instanceof CairnError && e.message === "cron expression '0 24 * * *': the hour field '24' is invalid: 24 is out of range 0-23");
  });

  it('refuses unknown time zones', () => {
    const hint = ": give an IANA name like 'Europe/Berlin' or a Windows name like 'Pacific Standard Time'";
    badTrigger(cron('0 0 * * *', { time_zone: 'Mars/Olympus_Mons' }), 'time_zone', `unknown time zone 'Mars/Olympus_Mons'${hint}`);
    badTrigger(rec('day', { time_zone: 'Pacific Time' }), 'time_zone', `unknown time zone 'Pacific Time'${hint}`);
    badTrigger(rec('day', { time_zone: '+05:30' }), 'time_zone', `unknown time zone '+05:30'${hint}`);
    badTrigger(rec('day', { time_zone: '' }), 'time_zone', `unknown time zone ''${hint}`);
    badTrigger(rec('day', { time_zone: 5 }), 'time_zone', 'expected a string (found 5)');
  });

  it('refuses intervals below 1, and ones that are not integers', () => {
    badTrigger(rec('day', { interval: 0 }), 'interval', 'expected an integer of 1 or more');
    badTrigger(rec('hour', { interval: -2 }), 'interval', 'expected an integer of 1 or more');
    badTrigger(rec('hour', { interval: 1.5 }), 'interval', 'expected an integer of 1 or more');
    badTrigger(rec('hour', { interval: '2' }), 'interval', 'expected an integer of 1 or more');
  });

  it('refuses hours, minutes and month days out of range', () => {
    badTrigger(rec('day', { schedule: { hours: [8, 24] } }), 'schedule.hours[1]', 'expected an integer from 0 to 23');
    badTrigger(rec('day', { schedule: { hours: [-1] } }), 'schedule.hours[0]', 'expected an integer from 0 to 23');
    badTrigger(rec('day', { schedule: { minutes: [60] } }), 'schedule.minutes[0]', 'expected an integer from 0 to 59');
    badTrigger(rec('day', { schedule: { minutes: [7.5] } }), 'schedule.minutes[0]', 'expected an integer from 0 to 59');
    badTrigger(rec('month', { schedule: { month_days: [0] } }), 'schedule.month_days[0]', 'expected an integer from 1 to 31');
    badTrigger(rec('month', { schedule: { month_days: [1, 32] } }), 'schedule.month_days[1]', 'expected an integer from 1 to 31');
  });

  it('refuses unknown week day names', () => {
    const days = "'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday' or 'Sunday'";
    badTrigger(rec('week', { schedule: { week_days: ['Monday', 'Funday'] } }), 'schedule.week_days[1]', `expected ${days} (found 'Funday')`);
    badTrigger(rec('week', { schedule: { week_days: ['Mon'] } }), 'schedule.week_days[0]', `expected ${days} (found 'Mon')`);
    badTrigger(rec('week', { schedule: { week_days: [1] } }), 'schedule.week_days[0]', `expected ${days} (found 1)`);
  });

  it('refuses unknown fields at every level', () => {
    rejects({ compute_start_stop: [], compute_start: [] }, "unknown field 'schedules.compute_start'");
    rejects(one(cron('0 0 * * *'), { name: 'nightly' }), "unknown field 'schedules.compute_start_stop[0].name'");
    rejects(one(cron('0 0 * * *', { end_time: '2025-01-01T00:00:00' })), "unknown field 'schedules.compute_start_stop[0].trigger.end_time'");
    rejects(one(cron('0 0 * * *', { frequency: 'day', interval: 1 })), "unknown fields 'schedules.compute_start_stop[0].trigger.frequency', 'schedules.compute_start_stop[0].trigger.interval'");
    rejects(one(rec('day', { expression: '0 0 * * *' })), "unknown field 'schedules.compute_start_stop[0].trigger.expression'");
    rejects(one(rec('day', { schedule: { hours: [1], seconds: [0] } })), "unknown field 'schedules.compute_start_stop[0].trigger.schedule.seconds'");
  });

  it('refuses an action other than start or stop', () => {
    rejects(one(cron('0 0 * * *'), { action: 'restart' }), "schedules.compute_start_stop[0].action: expected 'start' or 'stop' (found 'restart')");
    rejects(one(cron('0 0 * * *'), { action: 'delete' }), "schedules.compute_start_stop[0].action: expected 'start' or 'stop' (found 'delete')");
    rejects(one(cron('0 0 * * *'), { action: true }), "schedules.compute_start_stop[0].action: expected 'start' or 'stop' (found true)");
    rejects({ compute_start_stop: [{ trigger: cron('0 0 * * *') }] }, 'schedules.compute_start_stop[0].action is required');
  });

  it('refuses other bad values, naming the field', () => {
    rejects(one(cron('0 0 * * *'), { state: 'paused' }), "schedules.compute_start_stop[0].state: expected 'enabled' or 'disabled' (found 'paused')");
    badTrigger({ type: 'timer', expression: '0 0 * * *' }, 'type', "expected 'cron' or 'recurrence' (found 'timer')");
    badTrigger({ expression: '0 0 * * *' }, 'type', "expected 'cron' or 'recurrence' (found nothing)");
    badTrigger(rec('second'), 'frequency', "expected 'minute', 'hour', 'day', 'week' or 'month' (found 'second')");
    badTrigger(rec('day', { start_time: '2024-02-30T08:00:00' }), 'start_time', "expected a date and time like '2024-03-10T21:21:07' (local time in time_zone) (found '2024-02-30T08:00:00')");
    badTrigger(rec('day', { start_time: 'tomorrow' }), 'start_time', "expected a date and time like '2024-03-10T21:21:07' (local time in time_zone) (found 'tomorrow')");
    rejects(one({ type: 'cron' }), 'schedules.compute_start_stop[0].trigger.expression is required');
    rejects(one({ type: 'recurrence' }), 'schedules.compute_start_stop[0].trigger.frequency is required');
    rejects({ compute_start_stop: [{ action: 'stop' }] }, 'schedules.compute_start_stop[0].trigger is required');
    rejects({ compute_start_stop: [{ action: 'start', trigger: cron('0 8 * * *') }, { action: 'stop', trigger: cron('0 18 * * 1-7x') }] }, "schedules.compute_start_stop[1].trigger.expression: the day-of-week field '1-7x' is invalid: '7x' is not a number or a day name (SUN-SAT)");
    rejects({ compute_start_stop: { action: 'stop' } }, 'schedules.compute_start_stop: expected a list (found an object)');
    rejects([], 'schedules must be an object with compute_start_stop: a list of schedules (found a list)');
    rejects(null, 'schedules must be an object with compute_start_stop: a list of schedules (found nothing)');
  });
});

describe('time zone names', () => {
  it('maps the Windows names Azure uses to IANA zones that Node knows, in any case', () => {
    assert.ok(Object.keys(WINDOWS_TIME_ZONES).length >= 30);
    for (const [windows, iana] of Object.entries(WINDOWS_TIME_ZONES)) {
      assert.equal(resolveTimeZone(windows), iana, windows);
      assert.doesNotThrow(() => new Intl.DateTimeFormat('en-US', { timeZone: iana }), iana);
    }
    assert.equal(resolveTimeZone('Pacific Standard Time'), 'America/Los_Angeles');
    assert.equal(resolveTimeZone('pacific standard time'), 'America/Los_Angeles');
    assert.equal(resolveTimeZone('W. Europe Standard Time'), 'Europe/Berlin');
    assert.equal(resolveTimeZone('India Standard Time'), 'Asia/Kolkata');
  });
  it('takes IANA names and refuses the rest', () => {
    for (const z of ['Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5', 'UTC', 'Asia/Kolkata']) assert.equal(resolveTimeZone(z), z);
    for (const z of ['Europe/Atlantis', 'Pacific', '+01:00', 'UTC+1', '']) assert.equal(resolveTimeZone(z), null, z);
  });
});

// ---- when schedules fire ---------------------------------------------------------------------

describe('parseCron', () => {
  it('expands lists, ranges, steps and names; 7 is Sunday', () => {
    assert.deepEqual(parseCron('*/15 9-17/4 1,15,31 JAN-mar,dec 1-5/2,7'), {
      minutes: [0, 15, 30, 45],
      hours: [9, 13, 17],
      daysOfMonth: [1, 15, 31],
      months: [1, 2, 3, 12],
      daysOfWeek: [0, 1, 3, 5],
      dayOfMonthStar: false,
      dayOfWeekStar: false,
    });
    assert.deepEqual(parseCron('10/20 0 */10 * *').minutes, [10, 30, 50]);
    assert.deepEqual(parseCron('0 0 */10 * *').daysOfMonth, [1, 11, 21, 31]);
    assert.equal(parseCron('0 0 */10 * *').dayOfMonthStar, true);
    assert.equal(parseCron('0 0 */10 * *').dayOfWeekStar, true);
    assert.deepEqual(parseCron('0 0 * * sun,SAT').daysOfWeek, [0, 6]);
  });
});

describe('nextFire: cron', () => {
  it('fires strictly after the given instant', () => {
    const s = schedule(cron('0 9 * * *'));
    assert.equal(next(s, '2024-01-01T08:59:59.999Z'), '2024-01-01T09:00:00.000Z');
    assert.equal(next(s, '2024-01-01T09:00:00.000Z'), '2024-01-02T09:00:00.000Z');
  });

  it('steps, ranges with steps and a/step', () => {
    assert.deepEqual(fires(schedule(cron('*/15 * * * *')), '2024-01-01T00:07:00Z', 4), ['2024-01-01T00:15:00.000Z', '2024-01-01T00:30:00.000Z', '2024-01-01T00:45:00.000Z', '2024-01-01T01:00:00.000Z']);
    assert.deepEqual(fires(schedule(cron('5-20/5 9 * * *')), '2024-01-01T00:00:00Z', 5), [
      '2024-01-01T09:05:00.000Z',
      '2024-01-01T09:10:00.000Z',
      '2024-01-01T09:15:00.000Z',
      '2024-01-01T09:20:00.000Z',
      '2024-01-02T09:05:00.000Z',
    ]);
    assert.deepEqual(fires(schedule(cron('10/20 12 * * *')), '2024-01-01T00:00:00Z', 4), ['2024-01-01T12:10:00.000Z', '2024-01-01T12:30:00.000Z', '2024-01-01T12:50:00.000Z', '2024-01-02T12:10:00.000Z']);
  });

  it('lists and names', () => {
    assert.deepEqual(fires(schedule(cron('0 8,12,18 * * *')), '2024-01-01T10:00:00Z', 3), ['2024-01-01T12:00:00.000Z', '2024-01-01T18:00:00.000Z', '2024-01-02T08:00:00.000Z']);
    // 2024-01-05 is a Friday.
    assert.deepEqual(fires(schedule(cron('0 9 * * MON-FRI')), '2024-01-05T10:00:00Z', 2), ['2024-01-08T09:00:00.000Z', '2024-01-09T09:00:00.000Z']);
    assert.deepEqual(fires(schedule(cron('0 0 1 JAN,jul *')), '2024-02-01T00:00:00Z', 2), ['2024-07-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z']);
    assert.deepEqual(fires(schedule(cron('0 0 * * 7')), '2024-01-01T00:00:00Z', 2), ['2024-01-07T00:00:00.000Z', '2024-01-14T00:00:00.000Z']);
  });

  it("day-of-month and day-of-week both restricted: either fires (cron's OR rule)", () => {
    // October 2024: Fridays 4, 11, 18; the 13th is a Sunday.
    assert.deepEqual(fires(schedule(cron('0 0 13 * FRI')), '2024-10-01T00:00:00Z', 4), [
      '2024-10-04T00:00:00.000Z',
      '2024-10-11T00:00:00.000Z',
      '2024-10-13T00:00:00.000Z',
      '2024-10-18T00:00:00.000Z',
    ]);
  });

  it("a day field starting with '*' makes both required", () => {
    // Odd days that are Mondays: Jan 15 and 29, Feb 5 and 19 in 2024.
    assert.deepEqual(fires(schedule(cron('0 0 */2 * MON')), '2024-01-01T00:00:00Z', 4), [
      '2024-01-15T00:00:00.000Z',
      '2024-01-29T00:00:00.000Z',
      '2024-02-05T00:00:00.000Z',
      '2024-02-19T00:00:00.000Z',
    ]);
  });

  it('dates that rarely or never come', () => {
    assert.equal(next(schedule(cron('0 12 29 2 *')), '2024-03-01T00:00:00Z'), '2028-02-29T12:00:00.000Z');
    assert.equal(next(schedule(cron('0 0 30 2 *')), '2024-01-01T00:00:00Z'), null);
    assert.equal(next(schedule(cron('0 0 31 APR,JUN *')), '2024-01-01T00:00:00Z'), null);
  });
});

describe('nextFire: time zones and daylight saving', () => {
  it('reads the cron in its time zone, Windows or IANA name', () => {
    assert.equal(next(schedule(cron('0 9 * * *', { time_zone: 'India Standard Time' })), '2024-01-01T00:00:00Z'), '2024-01-01T03:30:00.000Z');
    // 09:00 in Tokyo is exactly the given instant, so the next is a day later.
    assert.equal(next(schedule(cron('0 9 * * *', { time_zone: 'Asia/Tokyo' })), '2024-01-01T00:00:00Z'), '2024-01-02T00:00:00.000Z');
    // Pacific: 18:00 PST is 02:00Z the next day, 18:00 PDT is 01:00Z (clocks went forward on Sunday 2024-03-10).
    assert.deepEqual(fires(schedule(cron('0 18 * * 1-5', { time_zone: 'Pacific Standard Time' })), '2024-03-08T03:00:00Z', 2), ['2024-03-09T02:00:00.000Z', '2024-03-12T01:00:00.000Z']);
  });

  it('America/Los_Angeles, spring forward: a local time that does not exist is skipped', () => {
    const s = schedule(cron('30 2 * * *', { time_zone: 'America/Los_Angeles' }));
    assert.deepEqual(fires(s, '2024-03-09T00:00:00Z', 2), ['2024-03-09T10:30:00.000Z', '2024-03-11T09:30:00.000Z']);
    // Every half hour: 01:30 PST, then 03:00 PDT; 02:00 and 02:30 never happen.
    assert.deepEqual(fires(schedule(cron('*/30 * * * *', { time_zone: 'America/Los_Angeles' })), '2024-03-10T09:00:00Z', 3), [
      '2024-03-10T09:30:00.000Z',
      '2024-03-10T10:00:00.000Z',
      '2024-03-10T10:30:00.000Z',
    ]);
  });

  it('America/Los_Angeles, fall back: a local time that exists twice fires once, the first time', () => {
    const s = schedule(cron('30 1 * * *', { time_zone: 'America/Los_Angeles' }));
    assert.deepEqual(fires(s, '2024-11-02T12:00:00Z', 2), ['2024-11-03T08:30:00.000Z', '2024-11-04T09:30:00.000Z']);
    // Asked during the repeated hour (01:15 PST), the second 01:30 does not fire.
    assert.equal(next(s, '2024-11-03T09:15:00Z'), '2024-11-04T09:30:00.000Z');
    assert.deepEqual(fires(schedule(cron('*/30 * * * *', { time_zone: 'America/Los_Angeles' })), '2024-11-03T07:50:00Z', 4), [
      '2024-11-03T08:00:00.000Z',
      '2024-11-03T08:30:00.000Z',
      '2024-11-03T10:00:00.000Z',
      '2024-11-03T10:30:00.000Z',
    ]);
  });

  it('Europe/Berlin, both changes', () => {
    // Clocks go forward at 02:00 CET on 2024-03-31: 02:30 does not exist that night.
    assert.deepEqual(fires(schedule(cron('30 2 * * *', { time_zone: 'Europe/Berlin' })), '2024-03-30T00:00:00Z', 2), ['2024-03-30T01:30:00.000Z', '2024-04-01T00:30:00.000Z']);
    // Clocks go back at 03:00 CEST on 2024-10-27: 02:30 happens twice and fires at the first (CEST).
    assert.deepEqual(fires(schedule(cron('30 2 * * *', { time_zone: 'W. Europe Standard Time' })), '2024-10-26T12:00:00Z', 2), ['2024-10-27T00:30:00.000Z', '2024-10-28T01:30:00.000Z']);
    assert.deepEqual(fires(schedule(cron('*/30 * * * *', { time_zone: 'Europe/Berlin' })), '2024-10-27T00:15:00Z', 3), [
      '2024-10-27T00:30:00.000Z',
      '2024-10-27T02:00:00.000Z',
      '2024-10-27T02:30:00.000Z',
    ]);
    // A weekday stop at 18:00 local: 17:00Z in winter, 16:00Z in summer.
    assert.deepEqual(fires(schedule(cron('0 18 * * 1-5', { time_zone: 'Europe/Berlin' })), '2024-03-28T00:00:00Z', 3), ['2024-03-28T17:00:00.000Z', '2024-03-29T17:00:00.000Z', '2024-04-01T16:00:00.000Z']);
  });
});

describe('nextFire: start_time', () => {
  it('nothing fires before start_time, read as local time in time_zone', () => {
    // 21:21:07 PDT on 2024-03-10 is 04:21:07Z on the 11th; that day's 18:00 PDT (01:00Z) is before it.
    const s = schedule(cron('0 18 * * *', { start_time: '2024-03-10T21:21:07', time_zone: 'Pacific Standard Time' }));
    assert.deepEqual(fires(s, '2024-01-01T00:00:00Z', 2), ['2024-03-12T01:00:00.000Z', '2024-03-13T01:00:00.000Z']);
    assert.equal(next(s, '2024-03-12T01:00:00Z'), '2024-03-13T01:00:00.000Z');
  });

  it('fires at start_time itself, and reads Z or an offset as given', () => {
    assert.equal(next(schedule(cron('0 18 * * *', { start_time: '2024-03-11T01:00:00Z', time_zone: 'America/Los_Angeles' })), '2024-01-01T00:00:00Z'), '2024-03-11T01:00:00.000Z');
    assert.equal(next(schedule(cron('0 * * * *', { start_time: '2024-06-01T12:00:00+02:00' })), '2024-01-01T00:00:00Z'), '2024-06-01T10:00:00.000Z');
  });

  it('a start_time in a skipped hour means the moment the clocks jump', () => {
    // 02:30 on 2024-03-10 does not exist in Los Angeles: start is 03:30 PDT (10:30Z). Daily at the anchor's 02:30.
    const daily = schedule(rec('day', { start_time: '2024-03-10T02:30:00', time_zone: 'America/Los_Angeles' }));
    assert.deepEqual(fires(daily, '2024-03-01T00:00:00Z', 2), ['2024-03-11T09:30:00.000Z', '2024-03-12T09:30:00.000Z']);
    const hourly = schedule(rec('hour', { start_time: '2024-03-10T02:30:00', time_zone: 'America/Los_Angeles' }));
    assert.deepEqual(fires(hourly, '2024-03-01T00:00:00Z', 2), ['2024-03-10T10:30:00.000Z', '2024-03-10T11:30:00.000Z']);
  });
});

describe('nextFire: disabled', () => {
  it('never fires', () => {
    assert.equal(next(schedule(cron('* * * * *'), { state: 'disabled' }), '2024-01-01T00:00:00Z'), null);
    assert.equal(next(schedule(rec('minute'), { state: 'Disabled' }), '2024-01-01T00:00:00Z'), null);
  });
});

describe('nextFire: recurrence', () => {
  it('minute: every interval minutes from start_time, or from midnight without one', () => {
    assert.deepEqual(fires(schedule(rec('minute', { interval: 15 })), '2024-01-01T00:07:00Z', 2), ['2024-01-01T00:15:00.000Z', '2024-01-01T00:30:00.000Z']);
    // Anchored at 00:07 (seconds dropped); 00:07:00 itself is before start_time.
    assert.deepEqual(fires(schedule(rec('minute', { interval: 15, start_time: '2024-01-01T00:07:30' })), '2024-01-01T00:00:00Z', 4), [
      '2024-01-01T00:22:00.000Z',
      '2024-01-01T00:37:00.000Z',
      '2024-01-01T00:52:00.000Z',
      '2024-01-01T01:07:00.000Z',
    ]);
    assert.deepEqual(fires(schedule(rec('minute', { interval: 30, schedule: { hours: [9] } })), '2024-01-01T00:00:00Z', 3), ['2024-01-01T09:00:00.000Z', '2024-01-01T09:30:00.000Z', '2024-01-02T09:00:00.000Z']);
  });

  it('hour: every interval hours at the anchor minute, or at the given minutes', () => {
    const s = schedule(rec('hour', { interval: 3, start_time: '2024-01-01T01:20:00' }));
    assert.deepEqual(fires(s, '2024-01-01T00:00:00Z', 3), ['2024-01-01T01:20:00.000Z', '2024-01-01T04:20:00.000Z', '2024-01-01T07:20:00.000Z']);
    assert.deepEqual(fires(s, '2024-01-01T21:00:00Z', 2), ['2024-01-01T22:20:00.000Z', '2024-01-02T01:20:00.000Z']);
    // No start_time: even hours counted from 1970-01-01T00:00.
    assert.deepEqual(fires(schedule(rec('hour', { interval: 2, schedule: { minutes: [0, 30] } })), '2024-01-01T01:00:00Z', 3), ['2024-01-01T02:00:00.000Z', '2024-01-01T02:30:00.000Z', '2024-01-01T04:00:00.000Z']);
  });

  it('day: every interval days at the given hours and minutes', () => {
    const s = schedule(rec('day', { interval: 2, start_time: '2024-01-01T00:00:00', schedule: { hours: [8], minutes: [30] } }));
    assert.deepEqual(fires(s, '2023-12-25T00:00:00Z', 3), ['2024-01-01T08:30:00.000Z', '2024-01-03T08:30:00.000Z', '2024-01-05T08:30:00.000Z']);
    const budapest = schedule(rec('day', { interval: 2, start_time: '2024-01-01T00:00:00', time_zone: 'Central Europe Standard Time', schedule: { hours: [8, 17], minutes: [30] } }));
    assert.deepEqual(fires(budapest, '2023-12-25T00:00:00Z', 3), ['2024-01-01T07:30:00.000Z', '2024-01-01T16:30:00.000Z', '2024-01-03T07:30:00.000Z']);
    // week_days filter the days: weekends only (2024-01-01 is a Monday).
    assert.deepEqual(fires(schedule(rec('day', { schedule: { hours: [10], week_days: ['Saturday', 'Sunday'] } })), '2024-01-01T00:00:00Z', 3), [
      '2024-01-06T10:00:00.000Z',
      '2024-01-07T10:00:00.000Z',
      '2024-01-13T10:00:00.000Z',
    ]);
    // Neither pattern nor start_time: local midnight.
    assert.deepEqual(fires(schedule(rec('day', { time_zone: 'Tokyo Standard Time' })), '2024-01-01T00:00:00Z', 2), ['2024-01-01T15:00:00.000Z', '2024-01-02T15:00:00.000Z']);
  });

  it('week: every interval weeks from the week of start_time, on the given days', () => {
    // Start Wednesday 2024-03-06 in Berlin; weeks of Mar 4, Mar 18, Apr 1 (summer time from Mar 31).
    const s = schedule(rec('week', { interval: 2, start_time: '2024-03-06T12:00:00', time_zone: 'Europe/Berlin', schedule: { week_days: ['Monday', 'Friday'], hours: [8] } }));
    assert.deepEqual(fires(s, '2024-03-01T00:00:00Z', 5), [
      '2024-03-08T07:00:00.000Z',
      '2024-03-18T07:00:00.000Z',
      '2024-03-22T07:00:00.000Z',
      '2024-04-01T06:00:00.000Z',
      '2024-04-05T06:00:00.000Z',
    ]);
    // Without start_time, weeks count from the week of 1970-01-01 (Monday 1969-12-29): the week of 2024-01-01 is number 2818, even.
    assert.deepEqual(fires(schedule(rec('week', { interval: 2, schedule: { week_days: ['Monday'], hours: [9] } })), '2023-12-31T00:00:00Z', 3), [
      '2024-01-01T09:00:00.000Z',
      '2024-01-15T09:00:00.000Z',
      '2024-01-29T09:00:00.000Z',
    ]);
    // Without week_days, the day and time of start_time (a Wednesday).
    assert.deepEqual(fires(schedule(rec('week', { start_time: '2024-01-03T07:45:00' })), '2024-01-01T00:00:00Z', 2), ['2024-01-03T07:45:00.000Z', '2024-01-10T07:45:00.000Z']);
  });

  it('month: every interval months, on the given days or the day of start_time', () => {
    const s = schedule(rec('month', { interval: 3, start_time: '2024-01-10T00:00:00', schedule: { month_days: [1, 15], hours: [6] } }));
    assert.deepEqual(fires(s, '2024-01-01T00:00:00Z', 4), ['2024-01-15T06:00:00.000Z', '2024-04-01T06:00:00.000Z', '2024-04-15T06:00:00.000Z', '2024-07-01T06:00:00.000Z']);
    // The 31st: months without one are passed over.
    assert.deepEqual(fires(schedule(rec('month', { start_time: '2024-01-31T09:00:00' })), '2024-01-01T00:00:00Z', 3), ['2024-01-31T09:00:00.000Z', '2024-03-31T09:00:00.000Z', '2024-05-31T09:00:00.000Z']);
    // Every June, on the 31st: never.
    assert.equal(next(schedule(rec('month', { interval: 12, start_time: '2024-06-01T00:00:00', schedule: { month_days: [31] } })), '2024-01-01T00:00:00Z'), null);
  });
});

// ---- dueActions ------------------------------------------------------------------------------

describe('dueActions', () => {
  const office = parseSchedules({
    compute_start_stop: [
      { action: 'start', trigger: cron('0 8 * * 1-5', { time_zone: 'W. Europe Standard Time' }) },
      { action: 'stop', trigger: cron('0 18 * * 1-5', { time_zone: 'W. Europe Standard Time' }) },
      { action: 'stop', state: 'disabled', trigger: rec('hour') },
      { action: 'start', trigger: rec('day', { start_time: '2030-01-01T00:00:00' }) },
    ],
  });
  const due = (from: string, to: string) => dueActions(office, new Date(from), new Date(to)).map((a) => ({ ...a, at: a.at.toISOString() }));

  it('over a window with several fires, gives only the latest of each schedule, in time order', () => {
    // Monday to Thursday noon (13:00 in Berlin): four starts and three stops fired; the last of each counts.
    assert.deepEqual(due('2024-03-04T00:00:00Z', '2024-03-07T12:00:00Z'), [
      { action: 'stop', at: '2024-03-06T17:00:00.000Z', index: 1 },
      { action: 'start', at: '2024-03-07T07:00:00.000Z', index: 0 },
    ]);
    // Down for a month and a half across the change to summer time.
    assert.deepEqual(due('2024-02-20T00:00:00Z', '2024-04-02T20:00:00Z'), [
      { action: 'start', at: '2024-04-02T06:00:00.000Z', index: 0 },
      { action: 'stop', at: '2024-04-02T16:00:00.000Z', index: 1 },
    ]);
  });

  it('the window is (from, to]', () => {
    assert.deepEqual(due('2024-03-07T07:00:00Z', '2024-03-07T17:00:00Z'), [{ action: 'stop', at: '2024-03-07T17:00:00.000Z', index: 1 }]);
    assert.deepEqual(due('2024-03-07T06:59:00Z', '2024-03-07T07:00:00Z'), [{ action: 'start', at: '2024-03-07T07:00:00.000Z', index: 0 }]);
    assert.deepEqual(due('2024-03-07T07:00:00Z', '2024-03-07T07:00:00Z'), []);
    assert.deepEqual(due('2024-03-07T08:00:00Z', '2024-03-07T07:00:00Z'), []);
  });

  it('gives nothing over a weekend, for disabled schedules, or before start_time', () => {
    // Friday 18:00 in Berlin is 17:00Z; Monday 08:00 is 07:00Z.
    assert.deepEqual(due('2024-03-08T17:30:00Z', '2024-03-11T06:00:00Z'), []);
  });

  it('orders fires at the same instant by index', () => {
    const both = parseSchedules({
      compute_start_stop: [
        { action: 'stop', trigger: cron('0 12 * * *') },
        { action: 'start', trigger: rec('day', { schedule: { hours: [12] } }) },
        { action: 'stop', trigger: rec('minute', { interval: 1 }) },
      ],
    });
    const actions = dueActions(both, new Date('2024-01-01T00:00:00Z'), new Date('2024-06-01T12:00:00Z'));
    assert.deepEqual(
      actions.map((a) => [a.action, a.at.toISOString(), a.index]),
      [
        ['stop', '2024-06-01T12:00:00.000Z', 0],
        ['start', '2024-06-01T12:00:00.000Z', 1],
        ['stop', '2024-06-01T12:00:00.000Z', 2],
      ],
    );
  });

  it('agrees with nextFire over DST in Los Angeles', () => {
    const la = parseSchedules({ compute_start_stop: [{ action: 'stop', trigger: cron('30 1 * * *', { time_zone: 'America/Los_Angeles' }) }] });
    // The window holds only the second 01:30 of 2024-11-03, which does not fire; the first (08:30Z) is before it.
    assert.deepEqual(dueActions(la, new Date('2024-11-03T09:00:00Z'), new Date('2024-11-03T12:00:00Z')), []);
    assert.deepEqual(
      dueActions(la, new Date('2024-11-03T08:00:00Z'), new Date('2024-11-05T00:00:00Z')).map((a) => a.at.toISOString()),
      ['2024-11-04T09:30:00.000Z'],
    );
  });
});
