import type { NodeProvider, ProviderDeps } from './types.ts';
import { LocalProvider } from './local/local-provider.ts';

/** One line per node provider. */
export function createProviders(deps: ProviderDeps): Map<string, NodeProvider> {
  return new Map<string, NodeProvider>([['local', new LocalProvider(deps)]]);
}
