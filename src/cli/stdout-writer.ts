/**
 * A command's output on stdout: each write waits while the pipe is full, so any amount of output
 * takes bounded memory, and a reader that has gone (`vigil alerts | head -1`: EPIPE) ends the
 * command quietly instead of with Node's unhandled 'error' stack trace.
 */

/** Thrown by a write once the reader of stdout has closed its end: the command stops, exit 0. */
export class OutputClosedError extends Error {
  constructor() {
    super('the reader of stdout has gone');
    this.name = 'OutputClosedError';
  }
}

export type WriteOutput = (text: string) => Promise<void>;

/** A writer for `stream`; its 'error' events become the write's rejection, never an uncaught error. */
export function outputWriter(stream: NodeJS.WritableStream = process.stdout): WriteOutput {
  let failure: Error | undefined;
  const fail = (err: Error): void => {
    failure ??=
      (err as NodeJS.ErrnoException).code === 'EPIPE'
        ? new OutputClosedError()
        : new Error(`cannot write the output: ${err.message}`, { cause: err });
  };
  // Kept for the life of the process: the stream may report an error after the command returned.
  stream.on('error', fail);
  return async (text) => {
    if (failure) throw failure;
    const flushed = stream.write(text, (err) => err && fail(err));
    if (!flushed) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          for (const ev of ['drain', 'error', 'close']) stream.off(ev, done);
          resolve();
        };
        for (const ev of ['drain', 'error', 'close']) stream.once(ev, done);
      });
    }
    if (failure) throw failure;
  };
}
