/**
 * A pool node's name: unique across the server (it is the agent's identity), made of its compute
 * and its label; ':' appears in no compute name, so it never meets an attached machine's node.
 */
export function nodeName(workspace: string, compute: string, label: string): string {
  return workspace === 'default' ? `${compute}:${label}` : `${workspace}:${compute}:${label}`;
}
