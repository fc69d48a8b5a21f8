// /jobs/:name: one job, with its tabs kept in the URL (?tab=logs ...). The job is read again every
// few seconds until it ends (a sweep every two, its trials' progress with it); its log is read once
// and followed live while the page is open. A sweep has a Trials tab; a trial names its sweep. A
// pipeline opens on its Graph tab (read every two seconds too); a step names its pipeline.
import { useEffect, useState } from 'react';
import { api, useApi } from '../../api.ts';
import { setQuery, useLocation } from '../../router.tsx';
import { ConfirmButton, ErrorBox, Loading, Page, Status, Tabs } from '../../ui.tsx';
import { JobMetrics } from '../../charts/job-metrics.tsx';
import { isTerminal, type Job } from '../../../protocol/job.ts';
import { jobPath } from './format.ts';
import { useLogFeed } from './logs/log-feed.ts';
import { LogPanel } from './logs/log-panel.tsx';
import { Overview } from './overview.tsx';
import { CodeTab } from './code.tsx';
import { EnvironmentTab } from './environment.tsx';
import { OutputsTab } from './outputs.tsx';
import { ParamsTab } from './params.tsx';
import { SweepSummary } from './sweep/sweep-summary.tsx';
import { SweepTrials } from './sweep/sweep-trials.tsx';
import { TrialOf } from './sweep/trial-of.tsx';
import { PipelineTab } from './pipeline/pipeline-tab.tsx';
import { StepOf } from './pipeline/step-of.tsx';
import './jobs.css';

const TABS = [
  { id: 'overview', label: 'Overview' },
  { id: 'logs', label: 'Logs' },
  { id: 'metrics', label: 'Metrics' },
  { id: 'params', label: 'Params & tags' },
  { id: 'code', label: 'Code' },
  { id: 'environment', label: 'Environment' },
  { id: 'outputs', label: 'Outputs' },
];
const SWEEP_TABS = [TABS[0]!, { id: 'trials', label: 'Trials' }, ...TABS.slice(1)];
/** A pipeline's own run has no command: no metrics, code or environment of its own. */
const PIPELINE_TABS = [{ id: 'graph', label: 'Graph' }, ...TABS.filter((t) => ['overview', 'logs', 'params', 'outputs'].includes(t.id))];
const REFRESH_MS = 3_000;
const SWEEP_REFRESH_MS = 2_000;

export function JobPage({ params }: { params: Record<string, string> }) {
  const name = params.name!;
  const { query } = useLocation();
  const [ended, setEnded] = useState(false);
  const [parent, setParent] = useState(false);
  const job = useApi<Job>(jobPath(name), ended ? undefined : parent ? SWEEP_REFRESH_MS : REFRESH_MS);
  const status = job.data?.status;
  const type = job.data?.type;
  useEffect(() => {
    if (status && isTerminal(status)) setEnded(true);
  }, [status]);
  useEffect(() => setParent(type === 'sweep' || type === 'pipeline'), [type]);
  const tabs = type === 'sweep' ? SWEEP_TABS : type === 'pipeline' ? PIPELINE_TABS : TABS;
  const first = tabs[0]!.id;
  const tab = tabs.find((t) => t.id === query.get('tab'))?.id ?? first;
  // The log stream says when the status changes: read the job at once rather than at the next tick.
  const { feed, state } = useLogFeed(jobPath(name), tab === 'logs' || tab === 'environment', job.reload);

  if (!job.data) {
    if (job.error?.status === 404) {
      return (
        <Page title="Job not found">
          <ErrorBox error={job.error} back={{ to: '/jobs', label: 'Back to jobs' }} />
        </Page>
      );
    }
    return <Page title={name}>{job.error ? <ErrorBox error={job.error} back={{ to: '/jobs', label: 'Back to jobs' }} /> : <Loading what="loading the job" />}</Page>;
  }
  const j = job.data;
  const finished = isTerminal(j.status);
  return (
    <Page
      title={j.display_name}
      subtitle={
        <span className="job-head">
          <span className="mono">{j.name}</span> <Status value={j.status} /> {j.status_reason ? <span>{j.status_reason}</span> : null}
        </span>
      }
      actions={
        <ConfirmButton
          label="Cancel job"
          danger
          disabled={finished}
          question={
            <>
              Cancel job <strong>{j.name}</strong>? A job that runs gets SIGTERM, then SIGKILL after a grace period; a waiting job never starts.
            </>
          }
          onConfirm={async () => {
            await api('POST', `${jobPath(name)}/cancel`);
            job.reload();
          }}
        />
      }
    >
      {job.error ? <ErrorBox error={job.error} /> : null}
      {j.child ? <TrialOf job={j} /> : null}
      {j.child ? <StepOf job={j} /> : null}
      <Tabs tabs={tabs} current={tab} onSelect={(id) => setQuery({ tab: id === first ? null : id })} />
      <div role="tabpanel" aria-label={tabs.find((t) => t.id === tab)!.label}>
        {tab === 'overview' && j.sweep ? <SweepSummary view={j.sweep} /> : null}
        {tab === 'overview' ? <Overview job={j} /> : null}
        {tab === 'trials' && j.sweep ? <SweepTrials sweep={j.name} view={j.sweep} /> : null}
        {tab === 'graph' ? j.pipeline ? <PipelineTab name={j.name} view={j.pipeline} /> : <Loading what="reading the pipeline" /> : null}
        {tab === 'logs' ? feed && state ? <LogPanel feed={feed} state={state} job={j} /> : <Loading what="reading the log" /> : null}
        {tab === 'metrics' ? <JobMetrics job={j.name} /> : null}
        {tab === 'params' ? <ParamsTab job={j} /> : null}
        {tab === 'code' ? <CodeTab job={j} /> : null}
        {tab === 'environment' ? <EnvironmentTab job={j} feed={feed} state={state} /> : null}
        {tab === 'outputs' ? <OutputsTab job={j} /> : null}
      </div>
    </Page>
  );
}
