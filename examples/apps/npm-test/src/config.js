'use strict';
// Reads a JSON config with defaults and environment overrides.
const fs = require('node:fs/promises');
const DEFAULTS = { port: 8080, logLevel: 'info', features: [] };
async function loadConfig(file, env = {}) {
  const fromFile = JSON.parse(await fs.readFile(file, 'utf8'));
  const config = { ...DEFAULTS, ...fromFile };
  if (env.PORT) config.port = Number(env.PORT);
  if (env.LOG_LEVEL) config.logLevel = env.LOG_LEVEL;
  return config;
}
module.exports = { loadConfig, DEFAULTS };
