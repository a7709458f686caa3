/** Operations API for `vigil run`: metrics the agent feeds, and the HTTP endpoint that serves them. */
export { AgentMetrics, EVALUATION_BUCKETS } from './metrics.js';
export type { MetricSources, SinkStats } from './metrics.js';
export { startOpsServer, parseListen, OpsListenError, authorized, refuse, listenHttp } from './server.js';
export type { BoundServer } from './server.js';
export type { OpsServer, OpsServerOptions } from './server.js';
export { runChecks, type HealthCheck, type HealthSource } from './health.js';
export { metricsToken, type MetricsToken } from './metrics-token.js';
