import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import type { BackendInfo } from '../tf/backend.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    backend: BackendInfo;
  }
}

export interface ConfigOptions {
  config: Config;
  backend: BackendInfo;
}

/** The validated configuration and the TF.js backend this process selected, for every plugin and route. */
export default fp<ConfigOptions>(
  async function configPlugin(app: FastifyInstance, { config, backend }) {
    app.decorate('config', config);
    app.decorate('backend', backend);
  },
  { name: 'config' },
);
