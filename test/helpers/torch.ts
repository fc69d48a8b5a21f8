// The two-node PyTorch all-reduce both cluster kinds run (gloo, CPU): each rank prints its rank,
// the world size, the node it ran on (read from `nodeVar`) and the sum of all ranks' tensors.
export const allreduceScript = (nodeVar: string): string =>
  [
    'import os, torch, torch.distributed as dist',
    "dist.init_process_group('gloo')",
    'rank = dist.get_rank()',
    't = torch.tensor([float(rank + 1)])',
    'dist.all_reduce(t)',
    `print(f'rank {rank} of {dist.get_world_size()} on {os.environ["${nodeVar}"]}: sum {t.item()}', flush=True)`,
    'dist.destroy_process_group()',
  ].join('\n');
