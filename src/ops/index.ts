/** Operations API for `vigil run`: metrics the agent feeds, and the HTTP endpoint that serves them. */
export { AgentMetrics, EVALUATION_BUCKETS } from './metrics.js';
export type { MetricSources, SinkStats } from './metrics.js';
export { startOpsServer, parseListen, OpsListenError } from './server.js';
export type { OpsServer, OpsServerOptions, HealthReport } from './server.js';
