import type { RecurrencePattern, ComputeSchedules } from '../src/protocol/compute-schedule.ts';
const r: RecurrencePattern = {};
const s: ComputeSchedules = { compute_start_stop: [{ action: 'stop', state: 'enabled', trigger: { type: 'cron', expression: '0 0 * * *', time_zone: 'UTC' } }] };
export { r, s };
