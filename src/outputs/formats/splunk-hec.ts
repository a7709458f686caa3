/** Splunk HTTP Event Collector bodies: one JSON event envelope per line. */

export interface HecOptions {
  sourcetype: string;
  index?: string;
}

/** One HEC event envelope (https://docs.splunk.com/Documentation/Splunk/latest/Data/FormateventsforHTTPEventCollector). */
export function hecEvent(doc: unknown, timeIso: string, host: string, o: HecOptions): string {
  const ms = Date.parse(timeIso);
  const env: Record<string, unknown> = {
    time: Number.isFinite(ms) ? ms / 1000 : Date.now() / 1000,
    host,
    source: 'vigil',
    sourcetype: o.sourcetype,
  };
  if (o.index) env.index = o.index;
  env.event = doc;
  return JSON.stringify(env);
}
