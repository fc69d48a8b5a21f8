// The experiment pages: the list of experiments, and one experiment's runs compared.
export { ExperimentList } from './experiment-list.tsx';
export { ExperimentPage } from './experiment-page.tsx';
