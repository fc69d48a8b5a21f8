// Placeholder until the Environments pages land (see the studio issue): the route exists so links work.
import { Page } from '../../ui.tsx';
export const EnvironmentList = () => <Page title="Environments">Not built yet.</Page>;
export const EnvironmentPage = ({ params }: { params: Record<string, string> }) => <Page title={params.name!}>Not built yet.</Page>;
