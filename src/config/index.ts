export { parseConfig, ConfigError, type Config, type OidcConfig, type Environment, type LogLevel } from './config.ts';
