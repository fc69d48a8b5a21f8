import type { AgentArtifacts } from '../../compute/virtualmachine/agent-bundle.ts';
import type { Store } from '../../store/index.ts';
import type { FsBlobs } from '../blobs/fs-blobs.ts';
import type { EventHub } from '../../domain/events.ts';
import type { AgentsService } from './agents.ts';
import type { JobsService } from './jobs.ts';
import type { SweepsService } from './sweeps.ts';
import type { PipelinesService } from './pipelines.ts';
import type { EnvironmentsService } from './environments.ts';
import type { ComponentsService } from './components.ts';
import type { ComputesService } from './computes.ts';
import type { SnapshotsService } from './snapshots.ts';
import type { DatastoresService } from './datastores.ts';
import type { ContentResolver } from './data-content.ts';
import type { AssetsService } from './assets.ts';
import type { ExperimentsService } from './tracking/experiments.ts';
import type { RunsService } from './tracking/runs.ts';
import type { ArtifactsService } from './tracking/artifacts.ts';

/** Everything routes may use, built once at start. */
export interface Services {
  store: Store;
  blobs: FsBlobs;
  events: EventHub;
  jobs: JobsService;
  sweeps: SweepsService;
  pipelines: PipelinesService;
  environments: EnvironmentsService;
  components: ComponentsService;
  computes: ComputesService;
  snapshots: SnapshotsService;
  datastores: DatastoresService;
  content: ContentResolver;
  assets: AssetsService;
  agents: AgentsService;
  tracking: { experiments: ExperimentsService; runs: RunsService; artifacts: ArtifactsService };
  /** The agent, its Node runtime and the Python module, for nodes that fetch their own copy. */
  runtime: AgentArtifacts;
  /** Sizes from outside, bounded: one uploaded blob (a snapshot file, an output, an artifact). */
  limits: { maxBlobBytes: number; maxSnapshotBytes: number };
}
