import type { Services } from '../index.ts';
import { LoggedModelsService } from './logged-models.ts';
import { ModelVersionsService } from './model-versions.ts';
import { RegisteredModelsService } from './registry.ts';
import { RunIoService } from './run-io.ts';

/** MLflow's model logging and registry services, over the tracking services and Cairn's model assets. */
export interface ModelServices {
  io: RunIoService;
  loggedModels: LoggedModelsService;
  registry: RegisteredModelsService;
  versions: ModelVersionsService;
}

/** Built once per app from the services made at start; they hold no state of their own beyond the store. */
export function modelServices(s: Services): ModelServices {
  const { runs, experiments } = s.tracking;
  const loggedModels = new LoggedModelsService(s.store, runs, experiments);
  const registry = new RegisteredModelsService(s.store, experiments.workspace);
  const versions = new ModelVersionsService({ store: s.store, runs, registry, loggedModels, assets: s.assets, content: s.content, snapshots: s.snapshots });
  return { io: new RunIoService(s.store, runs), loggedModels, registry, versions };
}
