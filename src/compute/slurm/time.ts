// Slurm's times and durations. Every command Cairn runs has TZ=UTC and
// SLURM_TIME_FORMAT=%Y-%m-%dT%H:%M:%S (see markers.ts), so a time is UTC without a zone.

/** Slurm's words for "no time": never started, not ended, not applicable. */
const NO_TIME = new Set(['', 'Unknown', 'unknown', 'N/A', 'None', '(null)']);

/** `2026-12-03T19:02:02` -> `2026-12-03T19:02:02.000Z`; Slurm's words for no time -> null. */
export function parseSlurmTime(s: string): string | null {
  const t = s.trim();
  if (NO_TIME.has(t)) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(t);
  // Anything else means SLURM_TIME_FORMAT did not reach the command: fail loudly, never guess.
  if (!m) throw new Error(`not a Slurm time (YYYY-MM-DDTHH:MM:SS): '${s}'`);
  const iso = `${t}.000Z`;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime()) || d.toISOString() !== iso) throw new Error(`not a valid Slurm time: '${s}'`);
  return iso;
}

/** Slurm's words for "no limit" or "no value" where a duration goes (case as Slurm prints it or not). */
const NO_DURATION = new Set(['UNLIMITED', 'INFINITE', 'PARTITION_LIMIT', 'NOT_SET', 'NONE', 'N/A']);

/**
 * Seconds from Slurm's time formats (sbatch --time, TimeLimit, MaxTime): `minutes`,
 * `minutes:seconds`, `hours:minutes:seconds`, `days-hours`, `days-hours:minutes`,
 * `days-hours:minutes:seconds`. No limit -> null. Anything else throws, naming the text.
 */
export function parseDuration(s: string): number | null {
  const t = s.trim();
  if (NO_DURATION.has(t.toUpperCase())) return null;
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(t);
  if (!m) throw new Error(`not a Slurm duration: '${s}'`);
  const [days, a, b, c] = [m[1], m[2], m[3], m[4]].map((x) => (x === undefined ? undefined : Number(x)));
  if (days !== undefined) return days * 86400 + a! * 3600 + (b ?? 0) * 60 + (c ?? 0);
  if (c !== undefined) return a! * 3600 + b! * 60 + c;
  if (b !== undefined) return a! * 60 + b;
  return a! * 60;
}

const two = (n: number) => String(n).padStart(2, '0');

/**
 * A limit for `sbatch --time`: whole minutes rounded up (at least one), as `D-HH:MM:00` or
 * `HH:MM:00` under a day. Never `UNLIMITED`: a job without a limit gets no --time at all.
 */
export function formatTimeLimit(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`not a time limit in seconds: ${seconds}`);
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  const days = Math.floor(minutes / 1440);
  const hhmm = `${two(Math.floor((minutes % 1440) / 60))}:${two(minutes % 60)}:00`;
  return days > 0 ? `${days}-${hhmm}` : hhmm;
}
