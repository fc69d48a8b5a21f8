/** HTTP paths, shared so the SDK, agent and server cannot drift apart. */
export const API = '/api/v1';
export const AGENT_API = '/api/agent/v1';
export const ws = (workspace: string) => `${API}/workspaces/${encodeURIComponent(workspace)}`;
export const DEFAULT_WORKSPACE = 'default';
export const DEFAULT_PORT = 7667;
export const AGENT_VERSION = '0.1.0';
