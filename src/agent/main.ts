#!/usr/bin/env node
import { agentConfigFromEnv } from './config.ts';
import { Agent } from './agent.ts';

/** Entry point of the agent process. Its configuration comes from the environment, read here only. */
const cfg = agentConfigFromEnv(process.env);
// Jobs must never see the node's credentials.
const jobEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CAIRN_AGENT_')));
const agent = new Agent(cfg, jobEnv);
if (!agent.lock()) {
  agent.log('another agent already runs in this folder; leaving');
  process.exit(0);
}
agent.describeIsolation();
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (cfg.once) {
      agent.log(`${sig}: the batch system is ending this step; stopping its jobs`);
      void agent.abandon().then(() => process.exit(128 + (sig === 'SIGTERM' ? 15 : 2)));
      return;
    }
    agent.log(`${sig}: stopping; running jobs carry on and are picked up by the next agent`);
    void agent.shutdown().then(() => process.exit(0));
  });
}
await agent.run();
await agent.shutdown();
process.exit(agent.exitCode);
