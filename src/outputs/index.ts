/** The outputs API `vigil run` uses: openOutputs(config, logger) -> { submit, health, close }. */
export {
  openOutputs,
  type Outputs,
  type OutputsHealth,
  type StoreHealth,
  type OpenOutputsOptions,
} from './pipeline.js';
export type { OutputsConfig, SinkConfig, StoreConfig } from './config.js';
export { defaultDbPath } from './config.js';
export type { SinkHealth } from './delivery.js';
export { OutputConfigError } from './output.js';
