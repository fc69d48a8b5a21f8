// The job pages' own helpers: the job's API path and the gaps of its timeline (durations, sizes and
// counts are the studio's, in ../../format.ts).
import { WS } from '../../api.ts';

export const jobPath = (name: string) => `${WS}/jobs/${encodeURIComponent(name)}`;

/** Seconds between two ISO times ("+2.1s" in the timeline). */
export const secondsBetween = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 1000;
