import type { NodeProvider, ProviderDeps } from './types.ts';
import { LocalProvider } from './local/local-provider.ts';
import { SshProvider } from './ssh/ssh-provider.ts';
import { CommandProvider } from './command/command-provider.ts';
import { FakeProvider, fakeOptionsFromEnv } from './fake/fake-provider.ts';

/** One line per node provider. The fake cloud is for tests only: a server has it when CAIRN_FAKE_PROVIDER is set. */
export function createProviders(deps: ProviderDeps): Map<string, NodeProvider> {
  const fake = fakeOptionsFromEnv(process.env.CAIRN_FAKE_PROVIDER);
  return new Map<string, NodeProvider>([
    ['local', new LocalProvider(deps)],
    ['ssh', new SshProvider(deps)],
    ['command', new CommandProvider(deps)],
    ...(fake ? [['fake', new FakeProvider(deps, fake)] as const] : []),
  ]);
}
