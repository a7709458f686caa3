/** What a long-running command (`vigil run`, `vigil hub`) waits on: the first SIGTERM or SIGINT, logged. */
import type pino from 'pino';

export function untilStopped(logger: pino.Logger): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
