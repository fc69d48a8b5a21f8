/** Byte counts in words, one way for the CLI, the snapshot warnings and the agent's job logs. */
const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** Decimal units, as in "300 MB"; `exact` drops a `.0` for round limits. */
export function humanSize(n: number, exact = false): string {
  let i = 0;
  let v = n;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  if (i === 0) return `${n} B`;
  const s = v.toFixed(1);
  return `${exact && s.endsWith('.0') ? s.slice(0, -2) : s} ${UNITS[i]}`;
}
