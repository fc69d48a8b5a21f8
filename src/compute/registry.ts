import type { BackendDeps, ComputeBackend } from './types.ts';
import { LocalCompute } from './local/local-compute.ts';
import { VirtualMachineCompute } from './virtualmachine/vm-compute.ts';
import { PoolCompute } from './pool/pool-compute.ts';
import { SlurmCompute } from './slurm/slurm-compute.ts';

/** One line per compute type. Types Azure ML knows but Cairn does not run yet say so in NOT_YET. */
export function createBackends(deps: BackendDeps): Map<string, ComputeBackend> {
  return new Map<string, ComputeBackend>([
    ['local', new LocalCompute(deps)],
    ['virtualmachine', new VirtualMachineCompute(deps)],
    ['amlcompute', new PoolCompute('amlcompute', deps)],
    ['computeinstance', new PoolCompute('computeinstance', deps)],
    ['slurm', new SlurmCompute(deps)],
  ]);
}

export const NOT_YET: Record<string, string> = {
  kubernetes: 'Kubernetes computes are not supported yet (no Kubernetes API can be reached here)',
};
