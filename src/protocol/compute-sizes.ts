import { z } from 'zod';
import type { ComputeType } from './compute.ts';

/**
 * The VM sizes an amlcompute or computeinstance may name. Azure's names and shapes, so a YAML
 * written for Azure ML works unchanged; Cairn uses a size as a shape to schedule against.
 */
export const VmSize = z.object({
  name: z.string(),
  family: z.enum(['cpu', 'gpu']),
  vcpus: z.number().int().positive(),
  memory_gb: z.number().positive(),
  gpus: z.number().int().nonnegative(),
  gpu_type: z.string().optional(),
  low_priority_capable: z.boolean(),
});
export type VmSize = z.infer<typeof VmSize>;

const cpu = (name: string, vcpus: number, memory_gb: number): VmSize => ({ name, family: 'cpu', vcpus, memory_gb, gpus: 0, low_priority_capable: true });
const gpu = (name: string, vcpus: number, memory_gb: number, gpus: number, gpu_type: string, low_priority_capable = true): VmSize => ({
  name,
  family: 'gpu',
  vcpus,
  memory_gb,
  gpus,
  gpu_type,
  low_priority_capable,
});

export const VM_SIZES: readonly VmSize[] = [
  cpu('Standard_DS1_v2', 1, 3.5),
  cpu('Standard_DS2_v2', 2, 7),
  cpu('Standard_DS3_v2', 4, 14),
  cpu('Standard_DS4_v2', 8, 28),
  cpu('Standard_DS5_v2', 16, 56),
  cpu('Standard_D2s_v3', 2, 8),
  cpu('Standard_D4s_v3', 4, 16),
  cpu('Standard_D8s_v3', 8, 32),
  cpu('Standard_D16s_v3', 16, 64),
  cpu('Standard_E4s_v3', 4, 32),
  cpu('Standard_F4s_v2', 4, 8),
  gpu('Standard_NC6s_v3', 6, 112, 1, 'V100'),
  gpu('Standard_NC12s_v3', 12, 224, 2, 'V100'),
  gpu('Standard_NC4as_T4_v3', 4, 28, 1, 'T4'),
  // Illustrative: Azure does sell this size as low priority in some regions. Cairn marks one size
  // incapable so the `tier: low_priority` rule has a real entry to act on.
  gpu('Standard_NC24ads_A100_v4', 24, 220, 1, 'A100', false),
];

/** A size as `cairn compute list-sizes` shows it: with how many more a provider can make now (null: it cannot say). */
export const ListedSize = VmSize.extend({ provider: z.string(), available: z.number().int().nonnegative().nullable() });
export type ListedSize = z.infer<typeof ListedSize>;

/** A size an operator adds to the catalog (or an Azure name given another shape): `CAIRN_SIZES_FILE`. */
export const SizeDefinition = z
  .object({
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'a size name is a letter, then letters, digits, _ . or - (64 at most)'),
    vcpus: z.number().int().positive().max(1024),
    memory_gb: z.number().positive().max(65_536),
    gpus: z.number().int().nonnegative().max(64).default(0),
    gpu_type: z.string().max(64).optional(),
    low_priority_capable: z.boolean().default(true),
  })
  .strict();

/** The sizes file: `sizes: [{name, vcpus, memory_gb, gpus, gpu_type, low_priority_capable}]`. */
export const SizesFile = z.object({ sizes: z.array(SizeDefinition).max(500) }).strict();

/**
 * The sizes computes may name: Azure's, plus what the operator defined (a definition with an
 * Azure name replaces that size's shape). Azure matches names case-insensitively; callers store
 * the returned canonical spelling.
 */
export class SizeCatalog {
  readonly all: readonly VmSize[];
  private readonly byLowerName: Map<string, VmSize>;

  constructor(defined: readonly z.input<typeof SizeDefinition>[] = []) {
    const byName = new Map(VM_SIZES.map((s) => [s.name.toLowerCase(), s]));
    for (const d of defined) {
      const def = SizeDefinition.parse(d);
      byName.set(def.name.toLowerCase(), { ...def, family: def.gpus > 0 ? 'gpu' : 'cpu' });
    }
    this.all = Object.freeze([...byName.values()]);
    this.byLowerName = byName;
  }

  find(name: string): VmSize | undefined {
    return this.byLowerName.get(name.toLowerCase());
  }

  /** Azure refuses compute instances with fewer than 2 vCPUs; attached computes have no size. */
  forType(type: ComputeType): VmSize[] {
    if (type === 'amlcompute') return [...this.all];
    if (type === 'computeinstance') return this.all.filter((s) => s.vcpus >= 2);
    return [];
  }
}

/** Azure's catalog as it is, for whoever has no server's configuration at hand (a client, a test). */
export const AZURE_SIZES = new SizeCatalog();
