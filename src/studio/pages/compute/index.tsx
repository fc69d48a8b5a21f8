// Placeholder until the Compute pages land (see the studio issue): the route exists so links work.
import { Page } from '../../ui.tsx';
export const ComputeList = () => <Page title="Compute">Not built yet.</Page>;
export const ComputePage = ({ params }: { params: Record<string, string> }) => <Page title={params.name!}>Not built yet.</Page>;
