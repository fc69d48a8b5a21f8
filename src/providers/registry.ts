import type { NodeProvider, ProviderDeps } from './types.ts';
import { LocalProvider } from './local/local-provider.ts';
import { SshProvider } from './ssh/ssh-provider.ts';
import { CommandProvider } from './command/command-provider.ts';
import { FakeProvider, type FakeCloudSettings, fakeOptions } from './fake/fake-provider.ts';

/** One line per node provider. The fake cloud is for tests only: a server has it when its config carries fake-cloud settings (CAIRN_FAKE_PROVIDER). */
export function createProviders(deps: ProviderDeps, fakeCloud?: FakeCloudSettings): Map<string, NodeProvider> {
  return new Map<string, NodeProvider>([
    ['local', new LocalProvider(deps)],
    ['ssh', new SshProvider(deps)],
    ['command', new CommandProvider(deps)],
    ...(fakeCloud ? [['fake', new FakeProvider(deps, fakeOptions(fakeCloud))] as const] : []),
  ]);
}
