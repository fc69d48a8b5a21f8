/**
 * Who may call what: one table, keyed by the route that matched (method and URL pattern), never by
 * the raw URL. Every route the app registers must have a row here, or the server refuses to start.
 *
 * Token kinds:
 * - admin: an API token given with --auth-token / CAIRN_AUTH_TOKENS (on a server with none
 *   configured, which only listens on loopback, an anonymous caller counts as admin);
 * - job: the token a job gets (CAIRN_JOB_TOKEN / MLFLOW_TRACKING_TOKEN), valid while its job is
 *   unfinished and for a short grace after;
 * - node: the token of a node's agent.
 */
export type TokenKind = 'admin' | 'job' | 'node';

/**
 * What a route allows:
 * - public: anyone, with or without a token (what it answers may depend on who asks);
 * - admin: admin tokens only;
 * - own-job: admin, or the token of the job the route's `:ws`/`:name` parameters name;
 * - own-snapshot: admin, or the token of a job whose code is the snapshot `:id`;
 * - tracking: admin or any job token (MLflow's API: a job reads everything and writes only to its
 *   own runs, which the tracking services check on the run it names);
 * - node: node tokens only (the agent protocol).
 */
export type Policy = 'public' | 'admin' | 'own-job' | 'own-snapshot' | 'tracking' | 'node';

/** Whether a token kind can ever pass a policy (own-job and own-snapshot also check the parameters). */
export function allows(policy: Policy, kind: TokenKind): boolean {
  switch (policy) {
    case 'public':
      return true;
    case 'admin':
      return kind === 'admin';
    case 'own-job':
    case 'own-snapshot':
    case 'tracking':
      return kind === 'admin' || kind === 'job';
    case 'node':
      return kind === 'node';
  }
}

const API = '/api/v1';
const WS = `${API}/workspaces/:ws`;
const JOB = `${WS}/jobs/:name`;
const COMPUTE = `${WS}/computes/:name`;
const ENV = `${WS}/environments/:name`;
const COMPONENT = `${WS}/components/:name`;
const AGENT = '/api/agent/v1';

const cairn: Record<string, Policy> = {
  [`GET ${API}/health`]: 'public',
  // The studio's session (the login takes the token in its body) and its pages and files.
  [`GET ${API}/session`]: 'public',
  [`POST ${API}/session`]: 'public',
  [`DELETE ${API}/session`]: 'public',
  ['GET /']: 'public',
  ['GET /*']: 'public',

  [`GET ${WS}/jobs`]: 'admin',
  [`POST ${WS}/jobs`]: 'admin',
  [`GET ${JOB}`]: 'own-job',
  [`POST ${JOB}/cancel`]: 'admin',
  [`GET ${JOB}/logs`]: 'own-job',
  [`GET ${JOB}/stream`]: 'own-job',
  [`GET ${JOB}/artifacts`]: 'own-job',
  [`GET ${JOB}/artifacts/content`]: 'own-job',
  [`GET ${JOB}/metrics`]: 'own-job',
  [`GET ${JOB}/metrics/:key`]: 'own-job',
  [`GET ${WS}/metric-buckets`]: 'admin',

  [`POST ${WS}/blobs/missing`]: 'admin',
  [`PUT ${WS}/blobs/:sha`]: 'admin',
  [`POST ${WS}/snapshots`]: 'admin',
  [`GET ${WS}/snapshots/:id`]: 'own-snapshot',
  [`GET ${WS}/snapshots/:id/manifest`]: 'own-snapshot',
  [`GET ${WS}/snapshots/:id/files`]: 'own-snapshot',

  [`GET ${WS}/computes`]: 'admin',
  [`POST ${WS}/computes`]: 'admin',
  [`GET ${COMPUTE}`]: 'admin',
  [`PATCH ${COMPUTE}`]: 'admin',
  [`DELETE ${COMPUTE}`]: 'admin',
  [`POST ${COMPUTE}/:action`]: 'admin',
  [`GET ${COMPUTE}/nodes`]: 'admin',
  [`POST ${COMPUTE}/nodes/:node/preempt`]: 'admin',
  [`GET ${WS}/compute-sizes`]: 'admin',

  [`POST ${WS}/environments`]: 'admin',
  [`GET ${WS}/environments`]: 'admin',
  [`GET ${ENV}`]: 'admin',
  [`POST ${ENV}/archive`]: 'admin',
  [`POST ${ENV}/restore`]: 'admin',

  [`POST ${WS}/components`]: 'admin',
  [`GET ${WS}/components`]: 'admin',
  [`GET ${COMPONENT}`]: 'admin',
  [`POST ${COMPONENT}/archive`]: 'admin',
  [`POST ${COMPONENT}/restore`]: 'admin',

  [`POST ${WS}/datastores`]: 'admin',
  [`GET ${WS}/datastores`]: 'admin',
  [`GET ${WS}/datastores/:name`]: 'admin',
  [`DELETE ${WS}/datastores/:name`]: 'admin',
  // Reads a client's YAML file with the CLI's parsers (pure: nothing is stored, no server file is read).
  [`POST ${WS}/files/parse`]: 'admin',
  ...assetRows('data'),
  ...assetRows('models'),

  [`POST ${AGENT}/register`]: 'node',
  [`GET ${AGENT}/nodes/:node/work`]: 'node',
  [`POST ${AGENT}/attempts/:id/report`]: 'node',
  [`POST ${AGENT}/attempts/:id/logs`]: 'node',
  [`POST ${AGENT}/attempts/:id/outputs`]: 'node',
  [`GET ${AGENT}/snapshots/:id`]: 'node',
  [`GET ${AGENT}/blobs/:sha`]: 'node',
  [`POST ${AGENT}/blobs/missing`]: 'node',
  [`POST ${AGENT}/blobs/batch`]: 'node',
  [`PUT ${AGENT}/blobs/:sha`]: 'node',
  // Slurm nodes that do not share the work folder fetch their own copy of the agent's runtime.
  [`GET ${AGENT}/runtime/:part`]: 'node',
};

/** Data assets and models: registered, read and downloaded by admins (jobs read theirs as inputs, through their node). */
function assetRows(plural: string): Record<string, Policy> {
  const one = `${WS}/${plural}/:name`;
  return {
    [`POST ${WS}/${plural}`]: 'admin',
    [`GET ${WS}/${plural}`]: 'admin',
    [`GET ${one}`]: 'admin',
    [`GET ${one}/manifest`]: 'admin',
    [`GET ${one}/content`]: 'admin',
    [`POST ${one}/archive`]: 'admin',
    [`POST ${one}/restore`]: 'admin',
  };
}

/** MLflow's REST API and artifact proxy, under both prefixes the client and its UI use. */
const MLFLOW_TRACKING = [
  'GET /experiments/get-by-name',
  'GET /experiments/get',
  'POST /experiments/create',
  'GET /experiments/search',
  'POST /experiments/search',
  'POST /experiments/set-experiment-tag',
  'POST /experiments/delete',
  'POST /experiments/restore',
  'POST /experiments/update',
  'POST /runs/create',
  'GET /runs/get',
  'POST /runs/update',
  'POST /runs/delete',
  'POST /runs/restore',
  'POST /runs/search',
  'POST /runs/log-metric',
  'POST /runs/log-parameter',
  'POST /runs/set-tag',
  'POST /runs/delete-tag',
  'POST /runs/log-batch',
  'GET /metrics/get-history',
  'GET /artifacts/list',
  // Data and models a run logs (routes/mlflow/models.ts); the services check a job writes only its own.
  'POST /runs/log-inputs',
  'POST /runs/log-model',
  'POST /runs/outputs',
  'POST /logged-models',
  'POST /logged-models/search',
  'GET /logged-models/:model_id',
  'DELETE /logged-models/:model_id',
  'PATCH /logged-models/:model_id',
  'PATCH /logged-models/:model_id/tags',
  'DELETE /logged-models/:model_id/tags/:tag_key',
  'POST /logged-models/:model_id/params',
  'GET /logged-models/:model_id/artifacts/directories',
  // The model registry over Cairn's model assets (routes/mlflow/registry.ts): job tokens create and register; they change only what their job made (checked there, on the matched route's fields).
  'POST /registered-models/create',
  'GET /registered-models/get',
  'POST /registered-models/rename',
  'PATCH /registered-models/update',
  'DELETE /registered-models/delete',
  'GET /registered-models/search',
  'POST /registered-models/search',
  'GET /registered-models/get-latest-versions',
  'POST /registered-models/get-latest-versions',
  'POST /registered-models/set-tag',
  'DELETE /registered-models/delete-tag',
  'POST /registered-models/alias',
  'DELETE /registered-models/alias',
  'GET /registered-models/alias',
  'POST /model-versions/create',
  'GET /model-versions/get',
  'PATCH /model-versions/update',
  'DELETE /model-versions/delete',
  'GET /model-versions/search',
  'POST /model-versions/search',
  'GET /model-versions/get-download-uri',
  'POST /model-versions/set-tag',
  'DELETE /model-versions/delete-tag',
  'POST /model-versions/transition-stage',
];
const MLFLOW_ARTIFACTS = ['GET /artifacts', 'PUT /artifacts/*', 'GET /artifacts/*', 'DELETE /artifacts/*', 'POST /mpu/*', 'GET /presigned/*'];

export const MLFLOW_PREFIXES = ['/api/2.0', '/ajax-api/2.0'];

function mlflowRows(): Record<string, Policy> {
  const rows: Record<string, Policy> = {};
  for (const prefix of MLFLOW_PREFIXES) {
    for (const r of MLFLOW_TRACKING) {
      const [m, u] = r.split(' ');
      rows[`${m} ${prefix}/mlflow${u}`] = 'tracking';
    }
    for (const r of MLFLOW_ARTIFACTS) {
      const [m, u] = r.split(' ');
      rows[`${m} ${prefix}/mlflow-artifacts${u}`] = 'tracking';
    }
  }
  return rows;
}

/** The whole table: `METHOD /url/:pattern` -> policy. */
export const ACCESS: Readonly<Record<string, Policy>> = Object.freeze({ ...cairn, ...mlflowRows() });

/** The row of a matched route; HEAD, which Fastify adds for every GET, follows its GET. */
export function policyOf(method: string, url: string): Policy | undefined {
  return ACCESS[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}
