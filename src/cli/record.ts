/**
 * `vigil record FILE [--types a,b]`: save live events as JSON lines until
 * SIGINT/SIGTERM, then flush. `vigil replay FILE` reads them back.
 */
import { EventFileWriter } from '../event/json.js';
import { SensorUnavailable } from '../sensor/sensor.js';
import { parseTypes, stderrLogger, streamUntilSignal } from '../sensor/stream.js';

export interface RecordOptions {
  file: string;
  types?: string;
}

export async function run(opts: RecordOptions): Promise<number> {
  let types;
  try {
    types = parseTypes(opts.types);
  } catch (err) {
    if (!(err instanceof SensorUnavailable)) throw err;
    process.stderr.write(`vigil: ${err.message}\n`);
    return 1;
  }
  const log = stderrLogger();
  const writer = new EventFileWriter(opts.file);
  const { code } = await streamUntilSignal({ types, log, onEvents: (events) => writer.write(events) });
  await writer.close();
  if (code === 0) log.info({ file: opts.file, events: writer.written, dropped: writer.dropped }, 'recorded');
  return code;
}
