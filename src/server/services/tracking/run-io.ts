import { invalidParam } from '../../../protocol/mlflow/errors.ts';
import type { Run } from '../../../protocol/mlflow/entities.ts';
import {
  DATASET_CONTEXT_TAG,
  DatasetInput,
  LOG_MODEL_HISTORY_TAG,
  modelHistoryEntry,
  type RunInputs,
  type RunOutputs,
} from '../../../protocol/mlflow/models.ts';
import type { Store } from '../../../store/index.ts';
import { inputKey, LoggedModelsRepo } from '../../../store/logged-models.ts';
import type { RunsService, Scope } from './runs.ts';

/** The history tag may hold many models, but not without end: past this, log-model is refused. */
const MAX_HISTORY_CHARS = 65_536;

/**
 * What a run read and produced, as MLflow records it: dataset inputs (runs/log-inputs), the
 * models it logged (runs/log-model's history tag) and, with MLflow 3, its links to logged
 * models (runs/outputs, and log-inputs' models).
 */
export class RunIoService {
  private readonly store: Store;
  private readonly runs: RunsService;
  private readonly repo: LoggedModelsRepo;
  constructor(store: Store, runs: RunsService) {
    this.store = store;
    this.runs = runs;
    this.repo = new LoggedModelsRepo(store.db);
  }

  /**
   * Like MLflow's SQL store: a dataset (name, digest) already among the run's inputs is kept as
   * first logged, whatever context the new one names; within one request the first wins too.
   */
  async logInputs(scope: Scope, runId: string, datasets: DatasetInput[], models: { model_id: string }[]): Promise<void> {
    const run = await this.runs.writable(scope, runId);
    const now = Date.now();
    await this.store.transaction(async (trx) => {
      const repo = this.repo.with(trx);
      const seen = await repo.inputKeys(run.run_id);
      const rows = [];
      for (const d of datasets) {
        const key = inputKey(d.dataset.name, d.dataset.digest);
        if (seen.has(key)) continue;
        seen.add(key);
        const context = d.tags?.find((t) => t.key === DATASET_CONTEXT_TAG)?.value ?? '';
        rows.push({ run_id: run.run_id, name: d.dataset.name, digest: d.dataset.digest, context, body: JSON.stringify(d), created_ms: now });
      }
      await repo.putInputs(rows);
      await repo.putLinks(models.map((m) => ({ run_id: run.run_id, direction: 'input', model_id: m.model_id, step: 0 })));
    });
  }

  async logOutputs(scope: Scope, runId: string, models: { model_id: string; step: number }[]): Promise<void> {
    const run = await this.runs.writable(scope, runId);
    await this.repo.putLinks(models.map((m) => ({ run_id: run.run_id, direction: 'output', model_id: m.model_id, step: m.step })));
  }

  /**
   * runs/log-model: the model joins the run's `mlflow.log-model.history` tag, a JSON list, as
   * MLflow's server records it. Two models logged at the same moment to one run could race on
   * the read and the write; a client logs its models one after another.
   */
  async logModel(scope: Scope, runId: string, modelJson: string): Promise<void> {
    const entry = modelHistoryEntry(modelJson);
    const run = await this.runs.writable(scope, runId);
    const previous = (await this.store.runs.tags([run.run_id])).get(run.run_id)?.[LOG_MODEL_HISTORY_TAG];
    let list: unknown[] = [];
    if (previous) {
      try {
        const parsed = JSON.parse(previous);
        if (Array.isArray(parsed)) list = parsed;
      } catch {
        // A history someone overwrote by hand starts again rather than failing every later log.
      }
    }
    const value = JSON.stringify([...list, entry]);
    if (value.length > MAX_HISTORY_CHARS) {
      throw invalidParam(`run ${run.run_id} has logged too many models: its ${LOG_MODEL_HISTORY_TAG} tag would exceed ${MAX_HISTORY_CHARS} characters`);
    }
    await this.runs.logBatch(scope, { runId: run.run_id, metrics: [], params: [], tags: [{ key: LOG_MODEL_HISTORY_TAG, value }] });
  }
}

/** Fills each run's `inputs` (and `outputs` when it has some) as MLflow's runs/get answers them. */
export async function addRunIo(store: Store, runs: Run[]): Promise<Run[]> {
  const ids = runs.map((r) => r.info.run_id);
  if (!ids.length) return runs;
  const repo = new LoggedModelsRepo(store.db);
  const [inputs, links] = await Promise.all([repo.inputsOf(ids), repo.linksOf(ids)]);
  for (const run of runs) {
    const id = run.info.run_id;
    const ins: RunInputs = {};
    const datasets = (inputs.get(id) ?? []).flatMap((r) => {
      const parsed = DatasetInput.safeParse(JSON.parse(r.body));
      return parsed.success ? [parsed.data] : [];
    });
    if (datasets.length) ins.dataset_inputs = datasets;
    const ls = links.get(id) ?? [];
    const modelInputs = ls.filter((l) => l.direction === 'input').map((l) => ({ model_id: l.model_id }));
    if (modelInputs.length) ins.model_inputs = modelInputs;
    run.inputs = ins;
    const modelOutputs = ls.filter((l) => l.direction === 'output').map((l) => ({ model_id: l.model_id, step: Number(l.step) }));
    if (modelOutputs.length) run.outputs = { model_outputs: modelOutputs } satisfies RunOutputs;
  }
  return runs;
}
