/** Event times as alerts and `vigil events` print them. */

/** RFC 3339 UTC with nanoseconds, from ns since the epoch. */
export function formatEventTime(ts: number): string {
  const ns = BigInt(Math.round(ts));
  const seconds = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  const iso = new Date(Number(seconds) * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  return `${iso.slice(0, 19)}.${frac}Z`;
}
