import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RankInfo } from '../protocol/agent.ts';

/**
 * The variables a process of a distributed job finds itself by, as each framework expects them
 * (and as Azure ML sets them): PyTorch's MASTER_ADDR/RANK/WORLD_SIZE..., Open MPI's
 * OMPI_COMM_WORLD_*, with a hostfile, and TensorFlow's TF_CONFIG. Cairn's own CAIRN_RANK... are
 * always there too. `wd` receives the hostfile.
 */
export function rankVariables(r: RankInfo, wd: string): Record<string, string> {
  const master = r.hosts[0]!;
  const common: Record<string, string> = {
    CAIRN_RANK: String(r.rank),
    CAIRN_WORLD_SIZE: String(r.world_size),
    CAIRN_LOCAL_RANK: String(r.local_rank),
    CAIRN_NODE_RANK: String(r.node_rank),
    CAIRN_NODE_COUNT: String(r.hosts.length),
    AZ_BATCH_MASTER_NODE: `${master}:${r.master_port}`,
    AZ_BATCHAI_TASK_INDEX: String(r.node_rank),
  };
  if (r.distribution === 'pytorch' || r.distribution === 'none') {
    return {
      ...common,
      MASTER_ADDR: master,
      MASTER_PORT: String(r.master_port),
      WORLD_SIZE: String(r.world_size),
      RANK: String(r.rank),
      LOCAL_RANK: String(r.local_rank),
      LOCAL_WORLD_SIZE: String(r.local_world_size),
      NODE_RANK: String(r.node_rank),
      GROUP_RANK: String(r.node_rank),
    };
  }
  if (r.distribution === 'mpi') {
    const hostfile = join(wd, 'hostfile');
    writeFileSync(hostfile, r.hosts.map((h) => `${h} slots=${r.local_world_size}`).join('\n') + '\n');
    return {
      ...common,
      OMPI_COMM_WORLD_RANK: String(r.rank),
      OMPI_COMM_WORLD_SIZE: String(r.world_size),
      OMPI_COMM_WORLD_LOCAL_RANK: String(r.local_rank),
      OMPI_COMM_WORLD_LOCAL_SIZE: String(r.local_world_size),
      OMPI_COMM_WORLD_NODE_RANK: String(r.node_rank),
      AZ_BATCH_HOST_LIST: r.hosts.join(','),
      CAIRN_HOSTFILE: hostfile,
      MASTER_ADDR: master,
      MASTER_PORT: String(r.master_port),
    };
  }
  // TensorFlow: workers first, then parameter servers, each on its node at its own port.
  const workers = r.world_size - r.parameter_server_count;
  const addr = (rank: number) => `${r.hosts[rank % r.hosts.length]}:${r.master_port + rank}`;
  const cluster: Record<string, string[]> = { worker: Array.from({ length: workers }, (_, i) => addr(i)) };
  if (r.parameter_server_count) cluster.ps = Array.from({ length: r.parameter_server_count }, (_, i) => addr(workers + i));
  const task = r.rank < workers ? { type: 'worker', index: r.rank } : { type: 'ps', index: r.rank - workers };
  return { ...common, TF_CONFIG: JSON.stringify({ cluster, task }) };
}
