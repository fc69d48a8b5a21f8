// Placeholder until the Jobs pages land (see the studio issue): the route exists so links work.
import { Page } from '../../ui.tsx';
export const JobList = () => <Page title="Jobs">Not built yet.</Page>;
export const JobPage = ({ params }: { params: Record<string, string> }) => <Page title={params.name!}>Not built yet.</Page>;
