import type { CreateJobRequest, JobInput } from '../../protocol/job-spec.ts';
import type { CreateSweepRequest } from '../../protocol/sweep-spec.ts';
import type { PlannedStep, StepFacts, StoredPipeline } from '../../protocol/pipeline-spec.ts';

/** What makes a job a pipeline's step: the pipeline's id, its place, its facts, whether an earlier run may stand for it. */
export interface StepOf {
  parentId: string;
  index: number;
  facts: StepFacts;
  reusable: boolean;
}

/**
 * The request that makes a step's job once the steps it needs have completed: each input bound to
 * the pipeline's input takes that input (and its upload), each input bound to another step's
 * output reads that output where it is (`azureml://jobs/JOB/outputs/NAME`: the job that made it,
 * the earlier one when that step was reused), so only content a node lacks is fetched.
 */
export function stepRequest(stored: StoredPipeline, step: PlannedStep, producers: Map<string, string>): CreateJobRequest | CreateSweepRequest {
  const req = structuredClone(step.request);
  const inputs: Record<string, JobInput> = { ...(req.spec.inputs ?? {}) };
  const uploads: NonNullable<CreateJobRequest['input_uploads']> = {};
  for (const [input, parentInput] of Object.entries(step.from_parent)) {
    const v = stored.spec.inputs?.[parentInput];
    if (v === undefined) continue;
    inputs[input] = v;
    const up = stored.input_uploads?.[parentInput];
    if (up) uploads[input] = up;
  }
  for (const [input, [other, output]] of Object.entries(step.from_steps)) {
    const producer = producers.get(other)!;
    const producerStep = stored.steps.find((s) => s.name === other)!;
    const o = producerStep.request.spec.outputs?.[output];
    const type = typeof o === 'object' && o !== null && o.type ? o.type : 'uri_folder';
    inputs[input] = { type, path: `azureml://jobs/${producer}/outputs/${output}` } as JobInput;
  }
  req.spec = { ...req.spec, ...(Object.keys(inputs).length ? { inputs } : {}) } as typeof req.spec;
  if (Object.keys(uploads).length) req.input_uploads = uploads;
  return req;
}
