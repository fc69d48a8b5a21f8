// A compute instance's start/stop schedules (`schedules.compute_start_stop`, up to four), each a
// cron expression or a recurrence in a time zone, as Azure ML writes them.
import { MAX_SCHEDULES, RECURRENCE_FREQUENCIES } from '../../../protocol/compute-schedule.ts';
import { SelectField, TextField, NumberField, type FormState, type Values } from './form-kit.tsx';
import { listOf, numberOrText, textOrNone } from './spec-check.ts';

/** Rows by id ('0,2,3'), so removing one leaves the others' values in place. */
const ROWS = 'schedules.rows';
const rowIds = (v: Values): string[] => (typeof v[ROWS] === 'string' && v[ROWS] ? (v[ROWS] as string).split(',') : []);
const key = (id: string, field: string) => `sched.${id}.${field}`;

/** What a schedule's problem is filed under: its place in the list, as the protocol's message names it. */
const scheduleField = (position: number) => `schedules.compute_start_stop.${position}`;
export const SCHEDULE_FIELDS = Array.from({ length: MAX_SCHEDULES }, (_, i) => scheduleField(i));
/** A valid schedule put in place of a reported one so that the check goes on to the next. */
export const VALID_SCHEDULE = { action: 'stop', trigger: { type: 'cron', expression: '0 0 * * *' } };

export function schedulesOf(v: Values): unknown {
  const s = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : '');
  const rows = rowIds(v).map((id) => {
    const k = (f: string) => s(key(id, f));
    const common = { time_zone: textOrNone(k('time_zone')), start_time: textOrNone(k('start_time')) };
    const trigger =
      k('type') === 'recurrence'
        ? { type: 'recurrence', frequency: k('frequency'), interval: numberOrText(k('interval')), schedule: { hours: listOf(k('hours')), minutes: listOf(k('minutes')), week_days: listOf(k('week_days')) }, ...common }
        : { type: 'cron', expression: k('expression'), ...common };
    return { action: k('action'), state: k('state'), trigger };
  });
  return rows.length ? { compute_start_stop: rows } : undefined;
}

export function ScheduleFields({ form }: { form: FormState }) {
  const ids = rowIds(form.values);
  const add = () => {
    const id = String(Math.max(-1, ...ids.map(Number)) + 1);
    for (const [f, value] of Object.entries({ action: 'stop', state: 'enabled', type: 'cron', expression: '0 19 * * 1-5', frequency: 'day', interval: '1', time_zone: 'UTC' })) form.set(key(id, f), value);
    form.set(ROWS, [...ids, id].join(','));
  };
  return (
    <div className="schedules">
      {ids.length === 0 ? <p className="muted">No schedules: the instance starts and stops only when asked (and after its idle time).</p> : null}
      {ids.map((id, position) => {
        const k = (f: string) => key(id, f);
        const recurrence = form.text(k('type')) === 'recurrence';
        const problem = form.problems[scheduleField(position)];
        return (
          <div className="schedule card" key={id} aria-label={`schedule ${position + 1}`} role="group">
            <div className="schedule-grid">
              <SelectField form={form} path={k('action')} label="Action" options={[{ value: 'start', label: 'start' }, { value: 'stop', label: 'stop' }]} />
              <SelectField form={form} path={k('state')} label="State" options={[{ value: 'enabled', label: 'enabled' }, { value: 'disabled', label: 'disabled' }]} />
              <SelectField form={form} path={k('type')} label="Trigger" options={[{ value: 'cron', label: 'cron expression' }, { value: 'recurrence', label: 'recurrence' }]} />
              {recurrence ? (
                <>
                  <SelectField form={form} path={k('frequency')} label="Every" options={RECURRENCE_FREQUENCIES.map((f) => ({ value: f, label: f }))} />
                  <NumberField form={form} path={k('interval')} label="Interval" placeholder="1" />
                  <TextField form={form} path={k('hours')} label="Hours" placeholder="8, 20" />
                  <TextField form={form} path={k('minutes')} label="Minutes" placeholder="0, 30" />
                  <TextField form={form} path={k('week_days')} label="Week days" placeholder="Monday, Friday" />
                </>
              ) : (
                <TextField form={form} path={k('expression')} label="Cron expression" placeholder="0 19 * * 1-5" hint="minute hour day-of-month month day-of-week" />
              )}
              <TextField form={form} path={k('time_zone')} label="Time zone" placeholder="UTC" />
              <TextField form={form} path={k('start_time')} label="Start time (optional)" placeholder="2025-01-31T08:00:00" />
            </div>
            {problem ? (
              <p className="field-error" role="alert">
                {problem}
              </p>
            ) : null}
            <button type="button" className="small" onClick={() => form.set(ROWS, ids.filter((x) => x !== id).join(','))}>
              Remove schedule {position + 1}
            </button>
          </div>
        );
      })}
      {ids.length < MAX_SCHEDULES ? (
        <button type="button" onClick={add}>
          + Add a schedule
        </button>
      ) : (
        <p className="muted">An instance takes at most {MAX_SCHEDULES} schedules.</p>
      )}
    </div>
  );
}
