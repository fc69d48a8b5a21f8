import type { ComponentType } from 'react';
import { ComputeList, ComputePage } from './pages/compute/index.tsx';
import { JobList, JobPage } from './pages/jobs/index.tsx';
import { ExperimentList, ExperimentPage } from './pages/experiments/index.tsx';
import { EnvironmentList, EnvironmentPage } from './pages/environments/index.tsx';

/** Every page of the studio: one line each; parameters come from the path. */
export const ROUTES: { pattern: string; page: ComponentType<{ params: Record<string, string> }> }[] = [
  { pattern: '/jobs', page: JobList },
  { pattern: '/jobs/:name', page: JobPage },
  { pattern: '/experiments', page: ExperimentList },
  { pattern: '/experiments/:id', page: ExperimentPage },
  { pattern: '/computes', page: ComputeList },
  { pattern: '/computes/:name', page: ComputePage },
  { pattern: '/environments', page: EnvironmentList },
  { pattern: '/environments/:name', page: EnvironmentPage },
];

/** The navigation bar, in Azure ML studio's order. */
export const NAV: { to: string; label: string }[] = [
  { to: '/jobs', label: 'Jobs' },
  { to: '/experiments', label: 'Experiments' },
  { to: '/computes', label: 'Compute' },
  { to: '/environments', label: 'Environments' },
];
