/** The configuration API used by `vigil run` and the other commands. */
export { loadConfig, parseConfig, defaultConfig, resolveHostname, ConfigError } from './load-config.js';
export type { LoadedConfig, ConfigProblem } from './load-config.js';
export type { VigilConfig, LogLevel } from './schema.js';
export { assertTrusted, untrustedReason, UntrustedFileError } from './trusted-file.js';
export { DEFAULT_CONFIG_PATH, bundledRulesDir, packageRoot } from './paths.js';
