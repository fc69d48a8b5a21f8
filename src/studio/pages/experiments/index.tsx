// Placeholder until the Experiments pages land (see the studio issue): the route exists so links work.
import { Page } from '../../ui.tsx';
export const ExperimentList = () => <Page title="Experiments">Not built yet.</Page>;
export const ExperimentPage = ({ params }: { params: Record<string, string> }) => <Page title={params.id!}>Not built yet.</Page>;
