/**
 * The outputs' one entry point for the rest of vigil: the pipeline `vigil run` drives
 * (openOutputs(config, logger) -> { submit, health, close }), the check of the `outputs:` section
 * the config loader runs, and the read side of the alert store `vigil alerts` uses.
 */
export { openOutputs, type Outputs, type OutputsHealth, type OpenOutputsOptions } from './pipeline.js';
export type { SinkHealth } from './sink-runner.js';
export type { StoreHealth, StoreTamper } from './store/store-link.js';
export type { OutputsConfig, SinkConfig, StoreConfig } from './config.js';
export { defaultDbPath, OutputConfigError } from './config.js';
export { redactingLogMethod, redactLogText, redactUrl } from './redactor.js';
export { natsUrlProblem, outputsKey, outputsProblems, type OutputsProblem } from './config-check.js';
export { AlertStore, type StoredAlert } from './store/alert-store.js';
export {
  buildFilter,
  countAlerts,
  selectAlerts,
  type AlertFilter,
  type AlertFilterOptions,
  type SelectedAlert,
} from './store/alert-query.js';
export { tableHeader, tableRow } from './formats/alert-table.js';
export { NatsEventPublisher, openEventPublishers, type EventsPublishStats } from './sinks/nats-events.js';
