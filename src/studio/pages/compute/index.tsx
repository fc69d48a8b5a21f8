// Manage > Compute: the list of computes by kind (with the create and attach forms) and one compute's page.
export { ComputeList } from './list.tsx';
export { ComputePage } from './detail.tsx';
