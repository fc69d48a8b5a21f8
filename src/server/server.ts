import { mkdirSync, rmSync } from 'node:fs';
import { type ServerFile, readServerFile, serverFilePath, writeServerFile } from './server-file.ts';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Store } from '../store/index.ts';
import { createBackends } from '../compute/registry.ts';
import { hasManagedNodes } from '../compute/types.ts';
import { Scheduler } from '../reconcilers/scheduler.ts';
import { NodeHealth } from '../reconcilers/node-health.ts';
import { type ServerConfig, isLoopback } from './config.ts';
import { buildApp } from './app.ts';
import { FsBlobs } from './blobs/fs-blobs.ts';
import { EventHub } from '../domain/events.ts';
import { Authenticator, JobTokens, StudioSessions } from './auth.ts';
import { DataDirLock } from './data-dir-lock.ts';
import { AGENT_VERSION } from '../protocol/routes.ts';
import { EnvironmentsService } from './services/environments.ts';
import { ComponentsService } from './services/components.ts';
import { JobsService } from './services/jobs.ts';
import { SnapshotsService } from './services/snapshots.ts';
import { AgentsService } from './services/agents.ts';
import { ExperimentsService } from './services/tracking/experiments.ts';
import { RunsService } from './services/tracking/runs.ts';
import { ArtifactsService } from './services/tracking/artifacts.ts';
import { MetricCompactor } from '../reconcilers/metric-compactor.ts';
import { ComputeProvisioner } from '../reconcilers/compute-provisioner.ts';
import { Autoscaler } from '../reconcilers/autoscaler.ts';
import { Sweeper } from '../reconcilers/sweeper.ts';
import { PipelineRunner } from '../reconcilers/pipeline-runner.ts';
import { PipelinesService } from './services/pipelines.ts';
import { SweepsService } from './services/sweeps.ts';
import { BatchDispatcher } from '../reconcilers/batch-dispatcher.ts';
import { createProviders } from '../providers/registry.ts';
import { SizeCatalog } from '../protocol/compute-sizes.ts';
import { ComputesService, unsealCompute } from './services/computes.ts';
import { SecretBox } from './secrets/secret-box.ts';
import { DatastoresService } from './services/datastores.ts';
import { ContentResolver } from './services/data-content.ts';
import { AssetsService } from './services/assets.ts';
import { JobDataResolver } from './services/job-data.ts';
import { JobOutputsFinisher } from './services/job-outputs.ts';
import type { ComputeRow } from '../store/computes.ts';
import { AgentArtifacts } from '../compute/virtualmachine/agent-bundle.ts';

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  store: Store;
  stop(opts?: { stopAgents?: boolean }): Promise<void>;
}

/** A loop that never overlaps itself and can be nudged to run now. */
function loop(every: number, body: () => Promise<unknown>, onError: (e: unknown) => void) {
  let running = false;
  let again = false;
  let stopped = false;
  const run = async () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await body();
      } while (again && !stopped);
    } catch (e) {
      onError(e);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(run, every);
  return { kick: () => void setImmediate(run), stop: () => ((stopped = true), clearInterval(timer)) };
}

export async function startServer(cfg: ServerConfig): Promise<RunningServer> {
  if (!isLoopback(cfg.host) && cfg.authTokens.length === 0) {
    throw new Error(`refusing to listen on ${cfg.host} without auth: set CAIRN_AUTH_TOKENS (or --auth-token) or bind 127.0.0.1`);
  }
  mkdirSync(cfg.dataDir, { recursive: true });
  const lock = DataDirLock.acquire(cfg.dataDir);
  let store: Store;
  try {
    store = await Store.open(cfg.db);
  } catch (err) {
    lock.release();
    throw err;
  }
  const now = new Date().toISOString();
  await store.resources.ensureWorkspace(cfg.workspace, now);
  await store.computes.insert({ workspace: cfg.workspace, name: 'local', type: 'local', spec: JSON.stringify({ description: "the server's own machine", max_concurrent_jobs: cfg.local.maxConcurrentJobs, cores: availableParallelism() }), provisioning_state: 'Succeeded', created_at: now });
  const secretBox = SecretBox.open({ configured: cfg.secretKey, keyFile: join(cfg.dataDir, 'secret.key') });
  const unseal = (row: ComputeRow) => unsealCompute(secretBox, row);

  const events = new EventHub();
  const blobs = new FsBlobs(join(cfg.dataDir, 'blobs'));
  const jobTokens = new JobTokens(cfg.dataDir);
  let url = '';
  let app: FastifyInstance | null = null;
  const log = (msg: string, extra?: Record<string, unknown>) => app?.log.info(extra ?? {}, msg);
  const isolation = { hide: [cfg.dataDir], jobUser: cfg.jobUser };
  const sizes = new SizeCatalog(cfg.sizes);
  const providers = createProviders({ store, sizes, dataDir: cfg.dataDir, serverUrl: () => url, agentEnv: cfg.local.agentEnv, isolation, nodeHomes: cfg.nodeHomes, log: (m) => app?.log.warn(m), unseal }, cfg.fakeCloud);
  const backends = createBackends({ store, sizes, dataDir: cfg.dataDir, serverUrl: () => url, log, local: cfg.local, ssh: cfg.ssh, unseal, isolation, providers, hostPath: cfg.hostPath });
  const owner = `${hostname()}:${cfg.dataDir}`;
  const scheduler = new Scheduler({ store, events, sizes, owner: `scheduler@${owner}`, pip: cfg.environments.pip, selfQueued: BatchDispatcher.types(backends) });
  // A pass that placed jobs goes again at once: a long queue drains at the store's pace, not the tick's.
  const schedulerLoop = loop(500, async () => {
    while ((await scheduler.tick()) > 0);
    autoscalerLoop.kick();
  }, (e) => app?.log.error({ err: e }, 'scheduler'));
  // Jobs on computes that queue them themselves (Slurm): recorded, submitted and followed there.
  const dispatcher = new BatchDispatcher({ store, events, backends, unseal, owner: `scheduler@${owner}`, pip: cfg.environments.pip, log: (m) => app?.log.warn(m) });
  const dispatcherLoop = loop(1_000, async () => {
    while ((await dispatcher.tick()) > 0);
  }, (e) => app?.log.error({ err: e }, 'batch dispatcher'));
  const experiments = new ExperimentsService(store, cfg.workspace);
  const runs = new RunsService(store, experiments);
  const provisioner = new ComputeProvisioner({ store, backends, owner: `provisioner@${hostname()}:${cfg.dataDir}`, unseal, log: (m) => app?.log.warn(m) });
  const provisionerLoop = loop(1_000, () => provisioner.tick(), (e) => app?.log.error({ err: e }, 'compute provisioner'));
  const autoscaler = new Autoscaler({ store, events, providers, sizes, owner: `scheduler@${owner}`, log: (m) => app?.log.warn(m), kickScheduler: () => schedulerLoop.kick(), kickProvisioner: () => provisionerLoop.kick() });
  const autoscalerLoop = loop(1_000, () => autoscaler.tick(), (e) => app?.log.error({ err: e }, 'autoscaler'));
  const environments = new EnvironmentsService({ store, aliases: cfg.environments.aliases });
  const snapshots = new SnapshotsService(store, blobs, cfg.snapshot);
  mkdirSync(join(cfg.dataDir, 'workspaceblobstore'), { recursive: true, mode: 0o700 });
  const datastores = new DatastoresService({ store, blobs, secrets: secretBox, maxBlobBytes: cfg.maxBlobBytes, workspaceStoreDir: join(cfg.dataDir, 'workspaceblobstore'), dataDir: cfg.dataDir });
  const content = new ContentResolver({ store, blobs, snapshots, datastores, maxBlobBytes: cfg.maxBlobBytes });
  const assets = new AssetsService({ store, content });
  const outputsFinisher = new JobOutputsFinisher({ store, snapshots, assets, datastores });
  const jobs = new JobsService({ store, events, backends, environments, sizes, data: new JobDataResolver({ content, datastores }), kickScheduler: () => (schedulerLoop.kick(), dispatcherLoop.kick()), kickSweeper: () => sweeperLoop.kick(), kickPipelines: () => pipelineLoop.kick() });
  // Sweeps make their trials through the same path as users' jobs; a pass that made or stopped trials goes again.
  const sweeper = new Sweeper({ store, events, owner: `sweeper@${owner}`, trials: { create: (ws, req, by, trial) => jobs.create(ws, req, by, trial), cancel: (ws, name, why) => jobs.cancel(ws, name, why) }, log: (m) => app?.log.warn(m) });
  const components = new ComponentsService({ store, environments });
  const sweeps = new SweepsService({ store, jobs, kickSweeper: () => sweeperLoop.kick() });
  // Pipelines make their steps through the same path too; a reused step completes at once, so a pass that made steps goes again.
  const pipelineRunner = new PipelineRunner({ store, events, owner: `pipelines@${owner}`, steps: { create: (ws, req, by, step) => jobs.create(ws, req, by, step), createSweep: (ws, req, by, step) => sweeps.create(ws, req, by, step), cancel: (ws, name, why) => jobs.cancel(ws, name, why) }, log: (m) => app?.log.warn(m) });
  const pipelineLoop = loop(1_000, async () => {
    while ((await pipelineRunner.tick()) > 0);
  }, (e) => app?.log.error({ err: e }, 'pipeline runner'));
  const sweeperLoop = loop(1_000, async () => {
    while ((await sweeper.tick()) > 0);
  }, (e) => app?.log.error({ err: e }, 'sweeper'));
  const services = {
    store,
    blobs,
    events,
    jobs,
    sweeps,
    environments,
    components,
    pipelines: new PipelinesService({ store, jobs, components, sweeps, datastores, kickRunner: () => pipelineLoop.kick() }),
    computes: new ComputesService({ store, backends, providers, sizes, secrets: secretBox, jobs, kickProvisioner: () => (provisionerLoop.kick(), autoscalerLoop.kick()), wakeNode: (n) => events.wake(n) }),
    snapshots,
    datastores,
    content,
    assets,
    agents: new AgentsService({ store, events, blobs, tokens: jobTokens, heartbeatIntervalMs: cfg.local.heartbeatIntervalMs, cancelGraceMs: cfg.local.cancelGraceMs, onAttemptEnded: () => (schedulerLoop.kick(), sweeperLoop.kick(), pipelineLoop.kick()), finishOutputs: (job) => outputsFinisher.finish(job) }),
    tracking: { experiments, runs, artifacts: new ArtifactsService(store, blobs, runs, snapshots) },
    runtime: new AgentArtifacts(),
    limits: { maxBlobBytes: cfg.maxBlobBytes, maxSnapshotBytes: cfg.snapshot.maxBytes },
  };
  const sessions = new StudioSessions(jobTokens.derive('studio-session'), cfg.authTokens);
  const auth = new Authenticator({ store, adminTokens: cfg.authTokens, jobTokens, sessions, jobTokenGraceMs: cfg.jobTokenGraceMs });
  app = buildApp({ services, auth, sessions, studioDir: cfg.studioDir, logLevel: cfg.logLevel, info: () => ({ version: AGENT_VERSION, pid: process.pid, db: store.where, data_dir: cfg.dataDir }) });

  try {
    await app.listen({ host: cfg.host, port: cfg.port });
  } catch (err) {
    await store.close();
    lock.release();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.port;
  const host = isLoopback(cfg.host) || cfg.host === '0.0.0.0' || cfg.host === '::' ? '127.0.0.1' : cfg.host;
  url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const file: ServerFile = { url, pid: process.pid, data_dir: cfg.dataDir, db: store.where, started_at: new Date().toISOString() };
  writeServerFile(cfg.dataDir, file);

  const health = new NodeHealth(store, events, backends, { heartbeatIntervalMs: cfg.local.heartbeatIntervalMs, cancelGraceMs: cfg.local.cancelGraceMs }, (m) => app!.log.warn(m));
  const healthLoop = loop(1_000, async () => {
    await health.tick(cfg.workspace);
    schedulerLoop.kick();
  }, (e) => app?.log.error({ err: e }, 'node health'));
  const compactor = new MetricCompactor(store);
  const compactorLoop = loop(2_000, () => compactor.tick(), (e) => app?.log.error({ err: e }, 'metric compactor'));
  healthLoop.kick();
  schedulerLoop.kick();
  provisionerLoop.kick();
  autoscalerLoop.kick();
  dispatcherLoop.kick();
  sweeperLoop.kick();
  pipelineLoop.kick();

  return {
    url,
    app,
    store,
    async stop(opts = {}) {
      healthLoop.stop();
      schedulerLoop.stop();
      autoscalerLoop.stop();
      compactorLoop.stop();
      dispatcherLoop.stop();
      sweeperLoop.stop();
      pipelineLoop.stop();
      provisionerLoop.stop(); // work under way keeps its lease; this server's next start resumes it
      if (opts.stopAgents !== false) for (const b of backends.values()) await b.shutdown?.();
      else for (const b of backends.values()) if (!hasManagedNodes(b)) await b.shutdown?.();
      await app!.close();
      await store.close();
      if (readServerFile(cfg.dataDir)?.pid === process.pid) rmSync(serverFilePath(cfg.dataDir), { force: true });
      lock.release();
    },
  };
}
